"""What became of the scanned documents in the marketplace, and what the
receivers stored: read-only SQL (the only SQL of the flow) on the marketplace's
SQLite file or PostgreSQL database; the marketplace's own API has no view from a
document's hash to its submission and delivery jobs."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import asyncpg
import msgspec


class Job(msgspec.Struct, kw_only=True, frozen=True):
    """One delivery job of a submission: a route and how it went."""

    route: str
    kind: str
    state: str  # pending | in_flight | delivered | dead
    idempotency_key: str
    reference: str | None  # the receiver's receipt reference
    reason: str | None


class Scanned(msgspec.Struct, kw_only=True, frozen=True):
    """A scanned document's submission in the marketplace."""

    sha256: str
    submission_id: str
    subscription_id: str | None
    undeliverable_reason: str | None
    sender: str | None  # the station (device signature) or account that sent it
    device: bool  # signed with an enrolled station's device key
    jobs: list[Job]


_SQL = """
SELECT s.intake_sha256, s.id, s.subscription_id, s.undeliverable_reason,
       COALESCE(a.name, u.login), a.name IS NOT NULL,
       r.name, r.kind, o.state, o.idempotency_key, o.receipt, o.last_reason
FROM delivery_submissions s
LEFT JOIN intake_documents i
    ON i.municipality_ags = s.municipality_ags AND i.sha256 = s.intake_sha256
LEFT JOIN users u ON u.id = i.sender_user_id
LEFT JOIN fleet_appliances a ON a.id = i.sender_appliance_id
LEFT JOIN delivery_outbox o ON o.submission_id = s.id
LEFT JOIN delivery_routes r ON r.id = o.route_id
WHERE s.municipality_ags = {0} AND s.intake_sha256 IS NOT NULL
ORDER BY s.created_at, o.id
"""


def scanned(db_path: Path, ags: str, database_url: str = "") -> dict[str, Scanned]:
    """Every scanned document of the municipality by SHA-256."""
    rows = _rows(db_path, database_url, _SQL, ags)
    found: dict[str, Scanned] = {}
    for row in rows:
        sha, sub_id, subscription, reason, sender, device = row[:6]
        entry = found.setdefault(
            sha,
            Scanned(
                sha256=sha,
                submission_id=sub_id,
                subscription_id=subscription,
                undeliverable_reason=reason,
                sender=sender,
                device=bool(device),
                jobs=[],
            ),
        )
        if row[6] is not None:
            entry.jobs.append(_job(*row[6:]))
    return found


def _rows(
    db_path: Path, database_url: str, sql: str, value: str
) -> list[tuple[Any, ...]]:
    """Read-only rows of ``sql`` whose one parameter ``{0}`` is ``value``."""
    if database_url:

        async def fetch() -> list[tuple[Any, ...]]:
            conn = await asyncpg.connect(database_url)
            try:
                return [tuple(row) for row in await conn.fetch(sql.format("$1"), value)]
            finally:
                await conn.close()

        return asyncio.run(fetch())
    uri = f"file:{db_path.resolve()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=10)) as conn:
        return conn.execute(sql.format("?"), (value,)).fetchall()


def _job(
    route: str, kind: str, state: str, key: str, receipt: str | None, why: str | None
) -> Job:
    return Job(
        route=route,
        kind=kind,
        state=state,
        idempotency_key=key,
        reference=json.loads(receipt).get("reference") if receipt else None,
        reason=why,
    )


class Beat(msgspec.Struct, kw_only=True, frozen=True):
    """The station's last heartbeat as the fleet recorded it."""

    at: str
    health: dict[str, Any]


_BEAT_SQL = (
    "SELECT last_heartbeat_at, health FROM fleet_appliances"
    " WHERE name = {0} AND last_heartbeat_at IS NOT NULL"
)


def last_beat(db_path: Path, station: str, database_url: str = "") -> Beat | None:
    """The station's last heartbeat in the fleet register, if one came."""
    rows = _rows(db_path, database_url, _BEAT_SQL, station)
    if not rows:
        return None
    at, health = rows[0]
    return Beat(at=str(at), health=json.loads(health) if health else {})


class Stored(msgspec.Struct, kw_only=True, frozen=True):
    """What one receiver stored: idempotency key -> copies received."""

    name: str
    keys: dict[str, int]


def receivers(receivers_data: Path, ablage: Path) -> list[Stored]:
    """The receivers' own records: the inboxes of the three reference receivers
    (one row per idempotency key, ``copies`` counts repeats) and the drop
    folders (one folder per key; a repeat finds it and writes nothing)."""
    found = [
        Stored(name=name, keys=_inbox(receivers_data / kind / "inbox.sqlite3"))
        for kind, name in (
            ("fitconnect", "FIT-Connect"),
            ("eakte", "E-Akte"),
            ("webhook", "Webhook"),
        )
    ]
    folders = [p for p in ablage.glob("*/*") if p.is_dir() and p.name[0] != "."]
    found.append(Stored(name="DMS-Ablage", keys={p.name: 1 for p in folders}))
    return found


def _inbox(path: Path) -> dict[str, int]:
    if not path.exists():
        return {}
    uri = f"file:{path.resolve()}?mode=ro"
    with closing(sqlite3.connect(uri, uri=True, timeout=10)) as conn:
        rows = conn.execute("SELECT key, copies FROM received").fetchall()
    return dict(rows)
