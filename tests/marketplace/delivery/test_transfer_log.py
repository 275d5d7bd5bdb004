"""The transfer log (Protokollfunktion): what went where, exportable by the
municipality, with field names and document checksums but never values, file
names or other personal data; and no personal data in plain logs either."""

from __future__ import annotations

import csv
import io
import json
import logging
from pathlib import Path

import pytest

from tests.connectors.samples import APPLICANT
from tests.marketplace.contracts.flow import Client

from .flow import Subscribed, add_route, settings_for, settled, submit

LOG = "/api/v1/municipalities/14713000/transfer-log"


async def test_log_pages_exports_and_never_holds_personal_data(
    client: Client,
    leipzig: Subscribed,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """GIVEN a drop folder route and five submissions whose data and file names
    carry a person's name
    WHEN they are delivered and the municipality reads the log in pages of two
    and exports it as CSV and JSON lines
    THEN there are five entries with field names and SHA-256 of the documents,
    the pages join up without gaps, both exports hold the same five entries, and
    neither the log, the exports nor any log record contains the name. (At DEBUG
    aiosqlite logs SQL parameters; --debug is not for real data.)"""
    caplog.set_level(logging.INFO)  # what the marketplace logs without --debug
    folder = tmp_path / "ablage" / "import"
    folder.mkdir(parents=True)
    await add_route(
        client,
        leipzig,
        "DMS-Import",
        "dropfolder",
        settings_for("dropfolder", None, folder),
    )
    sent = [await submit(client, leipzig) for _ in range(5)]
    await settled(client, leipzig, expect=5)
    entries, after = [], 0
    while True:
        page = (
            await client.get(
                LOG, params={"after": after, "limit": 2}, headers=leipzig.owner
            )
        ).json()
        entries += page["entries"]
        if page["next_after"] is None:
            break
        after = page["next_after"]
    assert sorted(e["submission_id"] for e in entries) == sorted(s["id"] for s in sent)
    assert {e["outcome"] for e in entries} == {"delivered"}
    entry = entries[0]
    assert entry["data_fields"] == ["antragsteller.name", "kennzeichen"]
    assert len(entry["documents"][0]["sha256"]) == 64
    assert entry["receiver"] == "DMS-Import"
    csv_text = (await client.get(f"{LOG}/export.csv", headers=leipzig.owner)).text
    rows = list(csv.DictReader(io.StringIO(csv_text)))
    jsonl = (await client.get(f"{LOG}/export.jsonl", headers=leipzig.owner)).text
    lines = [json.loads(line) for line in jsonl.splitlines()]
    assert [r["submission_id"] for r in rows] == [e["submission_id"] for e in entries]
    assert [x["entry_id"] for x in lines] == [e["entry_id"] for e in entries]
    for text in (json.dumps(entries), csv_text, jsonl, caplog.text):
        assert APPLICANT not in text
        assert "L-EF 123" not in text
    assert any("outbox" in r.getMessage() for r in caplog.records)


async def test_another_municipality_sees_no_log(
    client: Client, leipzig: Subscribed
) -> None:
    """GIVEN Dresden's buyer and Lecos' admin
    WHEN they ask for Leipzig's transfer log or its export
    THEN 404 for Dresden (existence not revealed) and 403 for the provider."""
    dresden = leipzig.parties.dresden
    assert (await client.get(LOG, headers=dresden)).status_code == 404
    assert (await client.get(f"{LOG}/export.csv", headers=dresden)).status_code == 404
    assert (await client.get(LOG, headers=leipzig.parties.lecos)).status_code == 403
    assert (await client.get(LOG)).status_code == 401


async def test_provider_submits_and_a_repeat_is_not_a_second_submission(
    client: Client, leipzig: Subscribed, tmp_path: Path
) -> None:
    """GIVEN the provider's platform (Lecos) posting for Leipzig's subscription
    WHEN the same submission id is posted twice, and Dresden tries to post
    THEN 201 then 200 with the same submission, one outbox row; Dresden gets 404."""
    from .flow import payload

    folder = tmp_path / "ablage" / "p"
    folder.mkdir(parents=True)
    await add_route(
        client,
        leipzig,
        "Ablage",
        "dropfolder",
        settings_for("dropfolder", None, folder),
    )
    body = payload(external="lecos-4711")
    url = f"{leipzig.base}/submissions"
    first = await client.post(url, json=body, headers=leipzig.parties.lecos)
    again = await client.post(url, json=body, headers=leipzig.parties.lecos)
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    items = await settled(client, leipzig, expect=1)
    assert len(items) == 1
    stranger = await client.post(url, json=payload(), headers=leipzig.parties.dresden)
    assert stranger.status_code == 404
    broken = payload()
    broken["documents"][0]["sha256"] = "0" * 64
    refused = await client.post(url, json=broken, headers=leipzig.owner)
    assert refused.status_code == 422
