"""Before anything serves: the marketplace database with the demo catalog, the
delivery demo and the sample mail's subscriptions, the scan station registered
in the fleet, and the station's folder (settings, rules, operator account).

Every step is idempotent, so a second start of the demo changes nothing.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from appliance.enrolment import load_credential
from appliance.sample_mail.rules import RULES_TOML
from appliance.station.auth import Users
from marketplace.db import Database
from marketplace.demo import seed_demo
from marketplace.demo.delivery import principal, seed_delivery
from marketplace.demo.flow.config import (
    HOST,
    PROFILE,
    STATION_NAME,
    STATION_PASSWORD,
    STATION_USER,
    FlowConfig,
)
from marketplace.demo.mail import AGS, seed_mail_subscriptions
from marketplace.fleet import service as fleet
from marketplace.fleet.schemas import ApplianceIn, Connection, HardwareKind, TokenIn


async def prepare_marketplace(config: FlowConfig) -> tuple[list[str], str | None]:
    """Seed the database; (what was done, an enrolment token when the station
    still has to enrol)."""
    config.var.mkdir(parents=True, exist_ok=True)
    async with open_database(config) as db:
        notes = [
            await seed_demo(db),
            await seed_delivery(db, config.receiver_ports),
            await seed_mail_subscriptions(db, config.receiver_ports),
        ]
        token = await _station_token(db, config)
    return notes, token


def open_database(config: FlowConfig) -> Database:
    """The marketplace's database: the SQLite file, or PostgreSQL."""
    if config.on_postgres:
        from marketplace.db.postgres import PostgresDatabase

        return PostgresDatabase(config.database_url, path=config.db, connections=1)
    return Database(config.db, readers=1)


async def _station_token(db: Database, config: FlowConfig) -> str | None:
    """None when the station's stored credential belongs to this database's
    station; otherwise a fresh one-time token (a stale credential, e.g. after the
    database was deleted, is removed)."""
    operator = await principal(db, "betrieb")
    assert operator is not None, "the demo seed makes the operator account"
    known = [a for a in await fleet.appliances(db, operator) if a.name == STATION_NAME]
    credential = load_credential(config.credential_dir)
    if (
        known
        and credential is not None
        and credential.appliance_id == known[0].id
        and credential.key_fingerprint == known[0].key_fingerprint
    ):
        return None
    shutil.rmtree(config.credential_dir, ignore_errors=True)
    station = (
        known[0]
        if known
        else await fleet.register(
            db,
            operator,
            ApplianceIn(
                name=STATION_NAME,
                municipality_ags=AGS,
                hardware_kind=HardwareKind.PC,
                connection=Connection.LOCAL,
                # The fleet play of the demo (``marketplace/demo/fleet``) writes
                # only into this folder: the station is this very machine.
                address=str(config.station.resolve()),
            ),
        )
    )
    issued = await fleet.issue_token(db, operator, station.id, TokenIn(valid_hours=1))
    return issued.token


def prepare_station(config: FlowConfig) -> None:
    """The station's folder: settings, the sample mail's routing rules, the
    operator account for its page."""
    folder = config.station
    folder.mkdir(parents=True, exist_ok=True)
    for sub in ("daten", "zustand", "postausgang", "eingang"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    _write_if_changed(config.station_settings, station_toml(config))
    _write_if_changed(folder / "rules.toml", RULES_TOML)
    users = Users(folder / "daten" / "station.sqlite3")
    if not users.verify(STATION_USER, STATION_PASSWORD):
        users.add(STATION_USER, STATION_PASSWORD)


def station_toml(config: FlowConfig) -> str:
    return f"""\
# Written by the demo flow (marketplace/demo/flow); paths relative to this file.
host = "{HOST}"
port = {config.station_port}
data_dir = "daten"
state_dir = "zustand"
rules_file = "rules.toml"
input_folder = "eingang"
scanner = ""
operator = "Poststelle Dresden"
auto_commit = true
deliver = true

[[profiles]]
name = "{PROFILE}"
resolution = {config.dpi}
mode = "gray"
source = "adf"

[pipeline]
appliance_id = "{STATION_NAME}"

[outbox]
folder = "postausgang"
intake_url = "{config.marketplace_url}"
credential_dir = "geraet"
municipality_ags = "{AGS}"
poll_seconds = 0.25
backoff_base = 0.5
backoff_cap = 10.0
"""


def _write_if_changed(path: Path, text: str) -> None:
    if not path.exists() or path.read_text(encoding="utf-8") != text:
        path.write_text(text, encoding="utf-8")
