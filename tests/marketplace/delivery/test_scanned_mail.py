"""Scanned mail from the intake becomes a paper submission of the subscription
that matches the municipality and the service (LeiKa); mail that matches none is
kept as "nicht zustellbar" with the reason."""

from __future__ import annotations

import json
from pathlib import Path

from marketplace.db import Database
from tests.marketplace.contracts.flow import Client
from tests.marketplace.intake.samples import body, letter_pdf, sha256

from .flow import LEIKA, LEIPZIG, Subscribed, add_route, settings_for, settled

URL = "/api/v1/intake/documents"


async def test_scanned_letter_goes_to_the_matching_subscription(
    client: Client, leipzig: Subscribed, app_db: Database, tmp_path: Path
) -> None:
    """GIVEN Leipzig's production subscription with a drop folder route
    WHEN the station delivers a letter routed to its service, one to an unknown
    service, and one without service
    THEN the first arrives in the drop folder as paper mail with a transfer note;
    the others are kept as not deliverable with their reasons."""
    folder = tmp_path / "ablage" / "post"
    folder.mkdir(parents=True)
    await add_route(
        client,
        leipzig,
        "Posteingang",
        "dropfolder",
        settings_for("dropfolder", None, folder),
    )
    letters = {
        "match": (letter_pdf(1), {"leika_key": LEIKA}),
        "other": (letter_pdf(2), {"leika_key": "99999999999999"}),
        "none": (letter_pdf(3), {}),
    }
    for pdf, meta in letters.values():
        answer = await client.put(
            f"{URL}/{sha256(pdf)}", json=body(pdf, **meta), headers=leipzig.owner
        )
        assert answer.status_code == 201, answer.text
    [item] = await settled(client, leipzig, expect=1)
    assert item["state"] == "delivered"
    [manifest] = [json.loads(p.read_text()) for p in folder.glob("*/manifest.json")]
    assert manifest["metadata"]["channel"] == "paper"
    assert manifest["transfer_note"]["device"] == "scanstation-1"
    assert manifest["files"][0]["sha256"] == sha256(letters["match"][0])
    async with app_db.read() as conn:
        cursor = await conn.execute(
            "SELECT intake_sha256, undeliverable_reason FROM delivery_submissions"
            " WHERE undeliverable_reason IS NOT NULL"
        )
        kept = {row[0]: row[1] for row in await cursor.fetchall()}
    assert "Produktionsabonnement" in kept[sha256(letters["other"][0])]
    assert "LeiKa" in kept[sha256(letters["none"][0])]


async def test_a_kept_submission_is_queued_once_a_route_exists(
    client: Client, leipzig: Subscribed, tmp_path: Path
) -> None:
    """GIVEN a test submission kept as not deliverable (no test route yet)
    WHEN the municipality adds a test route and asks to assign it again, twice
    THEN it leaves the list, is delivered once to the new route, and the second
    request is refused (409)."""
    from .flow import submit

    kept = await submit(client, leipzig, test=True)
    listing = f"/api/v1/municipalities/{LEIPZIG}/undeliverable"
    shown = (await client.get(listing, headers=leipzig.owner)).json()
    assert [s["id"] for s in shown] == [kept["id"]]
    folder = tmp_path / "ablage" / "test"
    folder.mkdir(parents=True)
    await add_route(
        client,
        leipzig,
        "Test-Ablage",
        "dropfolder",
        settings_for("dropfolder", None, folder),
        environment="test",
    )
    url = f"{listing}/{kept['id']}/reroute"
    again = await client.post(url, headers=leipzig.owner)
    assert again.status_code == 200, again.text
    assert [i["route_name"] for i in again.json()["outbox"]] == ["Test-Ablage"]
    [item] = await settled(client, leipzig, expect=1)
    assert item["state"] == "delivered"
    assert len(list(folder.glob("test-*/manifest.json"))) == 1
    assert (await client.get(listing, headers=leipzig.owner)).json() == []
    assert (await client.post(url, headers=leipzig.owner)).status_code == 409
