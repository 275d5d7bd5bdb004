"""The outbox delivers with the station's own device credential to a real
marketplace process, and a station revoked in the middle of delivering its outbox
loses nothing: what was delivered is at the intake once, the rest stays on the
station as dead letters "Gerät gesperrt", counted."""

from __future__ import annotations

import asyncio
import contextlib
import random
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import msgspec
import pytest

from appliance import enrolment
from appliance.outbox import (
    Delivered,
    DocumentMetadata,
    Intake,
    Outbox,
    State,
    deliver_due,
    run,
)
from appliance.outbox.delivery import DEVICE_REVOKED
from appliance.outbox.schemas import Outcome
from appliance.station.cli import open_intake
from appliance.station.settings import load_settings
from marketplace.db import Database
from marketplace.identity import service as identity
from marketplace.identity.schemas import Role

from .conftest import LEIPZIG, metadata_for, write_pdfs
from .faults import LiveMarketplace, deliverer, station_settings

DOCUMENTS = 12
BEFORE_REVOCATION = 5


class Fleet(msgspec.Struct, kw_only=True):
    market: LiveMarketplace
    operator: dict[str, str]
    station_id: int
    settings: Path  # station.toml whose outbox signs with the credential
    outbox: Outbox


async def operator_token(db_path: Path) -> str:
    """Leipzig as a municipality and an operator account, straight in the file."""
    async with Database(db_path, readers=1) as db:
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT OR IGNORE INTO laender VALUES ('14', 'SN', 'Sachsen', 1)"
            )
            await conn.execute(
                "INSERT OR IGNORE INTO municipalities (ags, name, kind, land_code,"
                " population) VALUES (?, 'Leipzig', 'kreisfreie_stadt', '14', 1)",
                (LEIPZIG,),
            )
        await identity.create_user(
            db,
            login="betrieb",
            display_name="Betrieb",
            password="betrieb-geheim",
            role=Role.OPERATOR,
        )
        principal = await identity.authenticate(db, "betrieb", "betrieb-geheim")
        return (await identity.issue_token(db, principal, "Betrieb")).token


def enrol_station(
    market: LiveMarketplace, operator: dict[str, str], state: Path
) -> int:
    """Register a Leipzig station and enrol it for real (key pair, token)."""
    station = httpx.post(
        f"{market.url}/api/v1/fleet/appliances",
        json={
            "name": "leipzig-scan-1",
            "municipality_ags": LEIPZIG,
            "hardware_kind": "pc",
            "rollout_group": "pilot",
            "connection": "local",
            "address": str(state),
        },
        headers=operator,
    ).json()
    issued = httpx.post(
        f"{market.url}/api/v1/fleet/appliances/{station['id']}/enrolment-tokens",
        json={"valid_hours": 1},
        headers=operator,
    ).json()
    settings = enrolment.StationSettings(
        marketplace_url=market.url, municipality_ags=LEIPZIG, state_dir=state
    )
    credential, new = enrolment.enrol(settings, issued["token"])
    assert new
    return credential.appliance_id


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    market = LiveMarketplace(tmp_path / "marketplace")
    operator = {
        "Authorization": f"Bearer {asyncio.run(operator_token(market.db_path))}"
    }
    market.start()
    try:
        station_id = enrol_station(market, operator, tmp_path / "state")
        settings = station_settings(tmp_path / "station", market.url, "unbenutzt")
        (tmp_path / "station" / "intake-token").unlink()  # the credential must do
        with settings.open("a", encoding="utf-8") as handle:
            handle.write(
                f'credential_dir = "../state"\nmunicipality_ags = "{LEIPZIG}"\n'
            )
        outbox = Outbox(tmp_path / "station" / "outbox")
        yield Fleet(
            market=market,
            operator=operator,
            station_id=station_id,
            settings=settings,
            outbox=outbox,
        )
    finally:
        market.kill()


def senders(market: LiveMarketplace) -> list[tuple[str, int | None, int | None]]:
    with contextlib.closing(sqlite3.connect(market.db_path, timeout=10)) as conn:
        rows = conn.execute(
            "SELECT sha256, sender_user_id, sender_appliance_id FROM intake_documents"
        ).fetchall()
    return [(r[0], r[1], r[2]) for r in rows]


def commit(outbox: Outbox, folder: Path, count: int) -> set[str]:
    return {outbox.commit(p, metadata_for(p)).sha256 for p in write_pdfs(folder, count)}


def test_outbox_deliver_signs_with_the_station_credential(
    fleet: Fleet, tmp_path: Path
) -> None:
    """GIVEN an enrolled station whose settings name its credential folder and no
    token file, and 3 documents in its outbox
    WHEN ``appliance outbox deliver --until-empty`` runs as a real process
    THEN all 3 are at the intake once, recorded as sent by that station (no
    account), and the outbox counts them delivered."""
    committed = commit(fleet.outbox, tmp_path / "pdfs", 3)
    process = deliverer(fleet.settings, tmp_path / "deliver.log", until_empty=True)
    try:
        returncode = process.process.wait(60)
        output = process.output()
    finally:
        process.stop()
    assert returncode == 0, output
    assert "zugestellt 3, wartend 0, unzustellbar 0" in output
    assert sorted(senders(fleet.market)) == sorted(
        (sha, None, fleet.station_id) for sha in committed
    )
    assert fleet.market.counts() == (3, 3, 3)


class RevokeAfter:
    """The real signed intake; after its ``count``-th delivery the operator revokes
    the station through the marketplace API, between two documents of one round."""

    def __init__(self, intake: Intake, fleet: Fleet, count: int) -> None:
        self._intake = intake
        self._fleet = fleet
        self._left = count

    def send(self, sha256: str, metadata: DocumentMetadata, content: bytes) -> Outcome:
        outcome = self._intake.send(sha256, metadata, content)
        if isinstance(outcome, Delivered):
            self._left -= 1
            if self._left == 0:
                revoked = httpx.post(
                    f"{self._fleet.market.url}/api/v1/fleet/appliances/"
                    f"{self._fleet.station_id}/revoke",
                    headers=self._fleet.operator,
                )
                assert revoked.json()["state"] == "revoked"
        return outcome


def test_station_revoked_mid_delivery_loses_nothing(
    fleet: Fleet, tmp_path: Path
) -> None:
    """GIVEN an enrolled station with 12 documents in its outbox, delivering with
    its device credential over real HTTP to a marketplace process
    WHEN the operator revokes it right after the 5th document arrived
    THEN the 6th and every later one are refused at once: 5 are at the intake
    exactly once, 7 stay on the station as dead letters "Gerät gesperrt",
    delivered + dead = 12, none pending; a later round sends nothing more."""
    committed = commit(fleet.outbox, tmp_path / "pdfs", DOCUMENTS)
    settings = load_settings(fleet.settings)
    intake = open_intake(settings)
    try:
        watched = RevokeAfter(intake, fleet, BEFORE_REVOCATION)
        run(fleet.outbox, watched, settings.outbox, threading.Event(), until_empty=True)
        again = deliver_due(fleet.outbox, intake, settings.outbox, random.Random(1))  # noqa: S311 - jitter
    finally:
        intake.close()
    counts = fleet.outbox.counts()
    assert counts == {
        State.DELIVERED: BEFORE_REVOCATION,
        State.PENDING: 0,
        State.DEAD: DOCUMENTS - BEFORE_REVOCATION,
    }
    dead = fleet.outbox.entries(State.DEAD)
    assert all(e.last_error.startswith(DEVICE_REVOKED) for e in dead)
    assert all("gesperrt" in e.last_error.split(":", 1)[1] for e in dead)
    delivered = {e.sha256 for e in fleet.outbox.entries(State.DELIVERED)}
    assert delivered | {e.sha256 for e in dead} == committed
    assert {sha for sha, _, _ in senders(fleet.market)} == delivered
    assert fleet.market.counts() == (BEFORE_REVOCATION,) * 3
    assert again == []
    assert all(fleet.outbox.path(e).exists() for e in dead)
