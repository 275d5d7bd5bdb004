"""The S3 document store goes away, mid-upload and while the engine delivers; the
marketplace loses nothing and records nothing it does not have.

The store is moto (an AWS S3 emulator, a real process) behind a TCP proxy on
loopback that cuts every connection like a pulled cable: after a number of
bytes of an upload, or at once, and refuses new ones until restored.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from marketplace.identity.schemas import Role
from marketplace.settings import Settings
from tests.marketplace.conftest import MakeAccount, StoredBodies
from tests.marketplace.contracts.flow import Client
from tests.marketplace.delivery.flow import (
    LEIKA,
    Subscribed,
    add_route,
    outbox,
    payload,
    settings_for,
    settled,
    until,
)
from tests.marketplace.intake.samples import body, letter_pdf
from tests.support.s3 import CountingProxy, S3Server

URL = "/api/v1/intake/documents"
LEIPZIG = "14713000"
LETTERS = 6


@pytest.fixture
def proxy(s3: S3Server) -> Iterator[CountingProxy]:
    port = int(s3.endpoint.rsplit(":", 1)[1])
    cuttable = CountingProxy(port)
    yield cuttable
    cuttable.close()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Enough attempts that an outage of the store cannot use them up here."""
    return msgspec.structs.replace(settings, delivery_max_attempts=1000)


@pytest.fixture
def document_store(s3: S3Server, bucket: str, proxy: CountingProxy) -> dict[str, str]:
    return {
        "object_store": s3.url(bucket, "mp", endpoint=proxy.url),
        "s3_access_key": s3.access_key,
        "s3_secret_key": s3.secret_key,
    }


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


async def test_uploads_while_the_store_is_down_are_refused_then_taken_once(
    client: Client,
    make_account: MakeAccount,
    proxy: CountingProxy,
    stored_bodies: StoredBodies,
) -> None:
    """GIVEN a municipality's station delivering six scanned letters of 1.5 MB
    WHEN the S3 endpoint goes away 256 kB into the first upload, the station
    sends all six while it is away, and sends them again once it is back
    THEN all six are answered 503 with the German cause, none is recorded (no
    receipt, empty list, empty bucket); the second round is answered 201 for
    each, with one stored object and one counted delivery per letter."""
    auth = await make_account(
        "post-leipzig", Role.MUNICIPALITY_BUYER, municipality_ags=LEIPZIG
    )
    letters = [letter_pdf(n) + b"%" + bytes(1_500_000) for n in range(LETTERS)]
    proxy.cut_after(256 * 1024)
    refused = [
        await client.put(f"{URL}/{sha(pdf)}", json=body(pdf), headers=auth)
        for pdf in letters
    ]
    print(f"store down: {len(refused)} uploads refused, {proxy.cuts} cut(s)")
    assert [r.status_code for r in refused] == [503] * LETTERS
    problem = refused[0].json()
    assert problem["type"] == "urn:efa-marketplace:problem:document-store-unavailable"
    assert problem["detail"].startswith("Die Dokumentablage (S3) ist nicht erreichbar")
    assert problem["detail"].endswith("Bitte später erneut versuchen.")
    assert proxy.cuts == 1  # in the middle of the first upload
    assert proxy.connections_cut >= 1
    assert (await client.get(URL, headers=auth)).json() == []
    receipt = await client.get(f"{URL}/{sha(letters[0])}", headers=auth)
    assert receipt.status_code == 404
    assert stored_bodies() == {}

    proxy.restore()
    taken = [
        await client.put(f"{URL}/{sha(pdf)}", json=body(pdf), headers=auth)
        for pdf in letters
    ]
    assert [t.status_code for t in taken] == [201] * LETTERS
    assert [t.json()["deliveries"] for t in taken] == [1] * LETTERS
    assert sorted(stored_bodies().values()) == sorted(letters)
    listed = (await client.get(URL, headers=auth)).json()
    assert sorted(d["sha256"] for d in listed) == sorted(sha(p) for p in letters)
    again = await client.get(f"{URL}/{sha(letters[0])}/content", headers=auth)
    assert again.content == letters[0]


async def test_a_delivery_that_cannot_read_its_document_is_deferred_not_lost(
    client: Client, leipzig: Subscribed, proxy: CountingProxy, tmp_path: Path
) -> None:
    """GIVEN an online submission and a scanned letter stored in S3 for
    Leipzig's subscription, kept while it had no route
    WHEN a drop folder route is added and both are assigned to it while the
    store is away, and the store comes back later
    THEN both outbox rows stay pending, each with the German cause and at least
    two counted attempts, and nothing reaches the folder; afterwards both are
    delivered once, with exactly the stored bytes."""
    online = payload()
    answer = await client.post(
        f"{leipzig.base}/submissions", json=online, headers=leipzig.owner
    )
    assert answer.status_code == 201, answer.text
    letter = letter_pdf(9)
    stored = await client.put(
        f"{URL}/{sha(letter)}",
        json=body(letter, leika_key=LEIKA),
        headers=leipzig.owner,
    )
    assert stored.status_code == 201, stored.text
    folder = tmp_path / "ablage" / "post"
    folder.mkdir(parents=True)
    settings = settings_for("dropfolder", None, folder)
    await add_route(client, leipzig, "Posteingang", "dropfolder", settings)
    kept = f"/api/v1/municipalities/{LEIPZIG}/undeliverable"
    waiting = (await client.get(kept, headers=leipzig.owner)).json()
    assert len(waiting) == 2

    proxy.cut()
    for item in waiting:
        again = await client.post(f"{kept}/{item['id']}/reroute", headers=leipzig.owner)
        assert again.status_code == 200, again.text

    async def each_tried_twice() -> bool:
        rows = await outbox(client, leipzig)
        return len(rows) == 2 and all(r["attempts"] >= 2 for r in rows)

    await until(each_tried_twice)
    rows = await outbox(client, leipzig)
    print(f"store down: attempts per row {[r['attempts'] for r in rows]}")
    for row in rows:
        assert row["state"] in ("pending", "in_flight")
        assert "Dokumentablage (S3) ist nicht erreichbar" in row["last_reason"]
    assert not list(folder.iterdir())

    proxy.restore()
    done = await settled(client, leipzig, expect=2)
    assert [r["state"] for r in done] == ["delivered", "delivered"]
    online_pdf = base64.b64decode(online["documents"][0]["content"])
    expected = {sha(letter): letter, sha(online_pdf): online_pdf}
    found = {}
    for manifest_path in folder.glob("*/manifest.json"):
        for file in json.loads(manifest_path.read_text())["files"]:
            if file["role"] == "document":
                found[file["sha256"]] = (
                    manifest_path.parent / file["name"]
                ).read_bytes()
    assert found == expected
