"""The citizen identified at the eID desk travels with the batch's documents
through the outbox to the real marketplace intake, with only the kept attributes."""

from __future__ import annotations

import asyncio
import random
from pathlib import Path

from appliance.eid import submission as sub
from appliance.eid.attributes import ServiceProfile, minimise
from appliance.eid.transferlog import JsonLinesTransferLog
from appliance.outbox import Delivered, OutboxSettings, deliver_due
from appliance.station import actions
from appliance.station.batches import Station
from appliance.station.settings import load_settings
from tests.appliance.station.conftest import run_batch
from tests.appliance.station.letters import DOG, letter, station_folder

from .conftest import Marketplace

SERVICE = ServiceProfile(
    id="wohngeld",
    name="Wohngeld",
    tc_token_url="https://eid.example/tcToken",
    recipient="fv-wohngeld",
    purpose="Antrag auf Wohngeld",
    legal_basis="§ 23 WoGG",
    attributes=["FamilyName", "AgeVerification"],
)


def test_identification_reaches_the_intake_with_the_documents(
    marketplace: Marketplace, tmp_path: Path
) -> None:
    """GIVEN a scanned batch and a citizen identified for it (the eID service
    returned more than the service asked for)
    WHEN the operator approves the document and the outbox delivers it
    THEN the outbox entry and the document stored at the marketplace carry the
    level and exactly the two kept attributes, and nothing else of the result."""
    settings = station_folder(tmp_path / "station", auto_commit=False)
    letter(tmp_path / "station" / "eingang", "hund.png", DOG, 6)
    station = Station(load_settings(settings))
    try:
        batch = run_batch(station)
        kept = minimise(
            {
                "FamilyName": "MUSTERMANN",
                "GivenNames": "ERIKA",
                "AgeVerification": True,
            },
            effective=["FamilyName", "GivenNames", "AgeVerification"],
            profile=SERVICE,
        )
        identified = sub.build(
            batch_id=batch,
            profile=SERVICE,
            method=sub.Method.EID_ONLINE,
            operator="Frau Beispiel",
            attributes=kept,
        )
        log = JsonLinesTransferLog(tmp_path / "transfer.jsonl")
        asyncio.run(sub.attach(station.data / "documents" / batch, identified, log))
        [document] = station.store.documents(batch_id=batch)
        actions.change_office(station, document.id, "steueramt")
        actions.approve(station, document.id)
    finally:
        station.join()
    [entry] = station.outbox.entries()
    assert entry.metadata.identification is not None
    assert entry.metadata.identification.submission_id == identified.id
    [outcome] = deliver_due(
        station.outbox,
        marketplace.intake(),
        OutboxSettings(),
        random.Random(1),  # noqa: S311 - jitter, not cryptography
    )
    assert isinstance(outcome, Delivered)
    listed = marketplace.client.get(
        "/api/v1/intake/documents",
        headers={"Authorization": f"Bearer {marketplace.token}"},
    ).json()
    [stored] = listed
    carried = stored["metadata"]["identification"]
    assert (carried["level"], carried["method"]) == ("hoch", "eid_online")
    assert [a["name"] for a in carried["attributes"]] == [
        "FamilyName",
        "AgeVerification",
    ]
    assert "ERIKA" not in str(stored)
    assert [e.data_fields for e in log.read()] == [
        ("FamilyName",),
        ("AgeVerification",),
    ]
