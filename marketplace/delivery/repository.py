"""SQL of the delivery context: routes, submissions, the outbox and the transfer log.

The claim is one ``UPDATE ... RETURNING`` over due rows and rows whose lease ran
out (a killed process's in-flight rows come back after their lease). On
PostgreSQL the inner ``SELECT`` gets ``FOR UPDATE SKIP LOCKED``; SQLite has one
writer, so the statement alone is atomic.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import Any

import msgspec

from connectors.transferlog import TransferLogEntry
from marketplace.db import Connection, Row
from marketplace.delivery.schemas import (
    OutboxItem,
    StoredRoute,
    TransferLogRow,
)

_ROUTE = (
    "SELECT id, subscription_id, name, environment, kind, settings, endpoint,"
    " enabled, created_at, updated_at FROM delivery_routes"
)


class Claim(msgspec.Struct, kw_only=True, frozen=True):
    """A claimed outbox row: the engine delivers it before ``lease_until``."""

    id: int
    submission_id: str
    route_id: int
    idempotency_key: str
    test: bool
    probe: bool
    route_environment: str
    attempts: int
    created_at: float
    lease_until: float


def route_dict(row: Row) -> dict[str, Any]:
    found = dict(row)
    found["settings"] = json.loads(found["settings"])
    found["enabled"] = bool(found["enabled"])
    return found


async def routes_of(conn: Connection, subscription_id: str) -> list[StoredRoute]:
    async with conn.execute(
        f"{_ROUTE} WHERE subscription_id = ? ORDER BY environment DESC, name",
        (subscription_id,),
    ) as cur:
        rows = await cur.fetchall()
    return [msgspec.convert(route_dict(r), StoredRoute) for r in rows]


async def route(conn: Connection, route_id: int) -> StoredRoute | None:
    async with conn.execute(f"{_ROUTE} WHERE id = ?", (route_id,)) as cur:
        row = await cur.fetchone()
    return msgspec.convert(route_dict(row), StoredRoute) if row else None


async def insert_route(
    conn: Connection, subscription_id: str, values: dict[str, Any], now: str
) -> int:
    cursor = await conn.execute(
        "INSERT INTO delivery_routes (subscription_id, name, environment, kind,"
        " settings, endpoint, enabled, created_at, updated_at)"
        " VALUES (:sub, :name, :environment, :kind, :settings, :endpoint, :enabled,"
        " :now, :now)",
        {"sub": subscription_id, "now": now, **_route_values(values)},
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def update_route(
    conn: Connection, route_id: int, values: dict[str, Any], now: str
) -> None:
    params = {"id": route_id, "now": now, **_route_values(values)}
    await conn.execute(
        "UPDATE delivery_routes SET name = :name, settings = :settings,"
        " endpoint = :endpoint, enabled = :enabled, updated_at = :now WHERE id = :id",
        {k: v for k, v in params.items() if k not in ("environment", "kind")},
    )


def _route_values(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": values["name"],
        "environment": values["environment"],
        "kind": values["kind"],
        "settings": json.dumps(values["settings"], sort_keys=True),
        "endpoint": values["endpoint"],
        "enabled": int(values["enabled"]),
    }


async def route_counts(
    conn: Connection, subscription_id: str
) -> dict[int, dict[str, int]]:
    async with conn.execute(
        "SELECT o.route_id, o.state, COUNT(*) FROM delivery_outbox o"
        " JOIN delivery_routes r ON r.id = o.route_id WHERE r.subscription_id = ?"
        " GROUP BY o.route_id, o.state",
        (subscription_id,),
    ) as cur:
        rows = await cur.fetchall()
    counts: dict[int, dict[str, int]] = {}
    for route_id, state, count in rows:
        counts.setdefault(route_id, {})[state] = count
    return counts


# Subscriptions as the delivery engine needs them ------------------------------------


async def subscription_service(conn: Connection, subscription_id: str) -> str | None:
    """The LeiKa key of the service a subscription's offer provides."""
    async with conn.execute(
        "SELECT s.leika_key FROM subscriptions sub JOIN offers o ON o.id = sub.offer_id"
        " JOIN services s ON s.id = o.service_id WHERE sub.id = ?",
        (subscription_id,),
    ) as cur:
        row = await cur.fetchone()
    return str(row[0]) if row else None


async def running_subscriptions_for(
    conn: Connection, ags: str, leika: str, today: date
) -> list[tuple[str, str]]:
    """(id, environment) of the municipality's running subscriptions of a service."""
    async with conn.execute(
        "SELECT sub.id, sub.environment FROM subscriptions sub"
        " JOIN offers o ON o.id = sub.offer_id JOIN services s ON s.id = o.service_id"
        " WHERE sub.municipality_ags = ? AND s.leika_key = ? AND sub.state = 'active'"
        " AND (sub.ends_at IS NULL OR sub.ends_at >= ?) ORDER BY sub.created_at",
        (ags, leika, today.isoformat()),
    ) as cur:
        return [(str(r[0]), str(r[1])) for r in await cur.fetchall()]


# Submissions -------------------------------------------------------------------------

_SUBMISSION = (
    "SELECT id, subscription_id, municipality_ags, external_id, source, channel,"
    " test, created_at, undeliverable_reason FROM delivery_submissions"
)


async def insert_submission(conn: Connection, values: dict[str, Any]) -> None:
    await conn.execute(
        "INSERT INTO delivery_submissions (id, subscription_id, municipality_ags,"
        " external_id, source, channel, test, service_leika, envelope, payload_bytes,"
        " undeliverable_reason, intake_sha256, created_at) VALUES (:id,"
        " :subscription_id, :municipality_ags, :external_id, :source, :channel,"
        " :test, :service_leika, :envelope, :payload_bytes, :undeliverable_reason,"
        " :intake_sha256, :created_at)",
        values,
    )


async def submission_by_external(
    conn: Connection, subscription_id: str, external_id: str
) -> dict[str, Any] | None:
    async with conn.execute(
        f"{_SUBMISSION} WHERE subscription_id = ? AND external_id = ?",
        (subscription_id, external_id),
    ) as cur:
        row = await cur.fetchone()
    return dict(row) if row else None


async def submission(conn: Connection, submission_id: str) -> dict[str, Any] | None:
    async with conn.execute(f"{_SUBMISSION} WHERE id = ?", (submission_id,)) as cur:
        row = await cur.fetchone()
    return dict(row) if row else None


async def envelope(conn: Connection, submission_id: str) -> bytes | None:
    async with conn.execute(
        "SELECT envelope FROM delivery_submissions WHERE id = ?", (submission_id,)
    ) as cur:
        row = await cur.fetchone()
    return bytes(row[0]) if row else None


async def set_undeliverable(
    conn: Connection, submission_id: str, reason: str | None
) -> None:
    await conn.execute(
        "UPDATE delivery_submissions SET undeliverable_reason = ? WHERE id = ?",
        (reason, submission_id),
    )


async def undeliverable(conn: Connection, ags: str, limit: int) -> list[dict[str, Any]]:
    """Submissions of the municipality that reached no route, newest first."""
    async with conn.execute(
        f"{_SUBMISSION} WHERE municipality_ags = ? AND undeliverable_reason IS NOT NULL"
        " ORDER BY created_at DESC LIMIT ?",
        (ags, limit),
    ) as cur:
        return [dict(row) for row in await cur.fetchall()]


# Outbox ------------------------------------------------------------------------------

_ITEM = (
    "SELECT o.id, o.submission_id, o.route_id, r.name AS route_name,"
    " o.idempotency_key, o.test, o.probe, o.state, o.attempts, o.created_at,"
    " o.next_attempt_at, o.last_reason, o.receipt, o.finished_at"
    " FROM delivery_outbox o JOIN delivery_routes r ON r.id = o.route_id"
)


def _item(row: Row) -> OutboxItem:
    found = dict(row)
    found["receipt"] = json.loads(found["receipt"]) if found["receipt"] else None
    return msgspec.convert(found, OutboxItem, strict=False)


async def insert_outbox(
    conn: Connection,
    *,
    submission_id: str,
    route: StoredRoute,
    test: bool,
    probe: bool,
    now: float,
) -> None:
    await conn.execute(
        "INSERT INTO delivery_outbox (submission_id, route_id, idempotency_key, test,"
        " probe, route_environment, state, created_at, next_attempt_at)"
        " VALUES (?, ?, ?, ?, ?, ?, 'pending', ?, ?)",
        (
            submission_id,
            route.id,
            f"{submission_id}-r{route.id}",
            int(test),
            int(probe),
            route.environment,
            now,
            now,
        ),
    )


async def any_due(conn: Connection, now: float) -> bool:
    """A cheap read before the claim, so an idle engine never takes the writer."""
    async with conn.execute(
        "SELECT EXISTS (SELECT 1 FROM delivery_outbox WHERE state = 'pending'"
        " AND next_attempt_at <= :now) OR EXISTS (SELECT 1 FROM delivery_outbox"
        " WHERE state = 'in_flight' AND lease_until <= :now)",
        {"now": now},
    ) as cur:
        row = await cur.fetchone()
    return bool(row and row[0])


async def claim(
    conn: Connection,
    *,
    now: float,
    lease_until: float,
    limit: int,
    blocked: list[str],
    endpoint: str | None = None,
) -> list[Claim]:
    """Lease up to ``limit`` due rows of enabled routes, skipping ``blocked``
    endpoints (open breakers); with ``endpoint`` only that one (a probe)."""
    async with conn.execute(
        "UPDATE delivery_outbox SET state = 'in_flight', lease_until = :lease,"
        " attempts = attempts + 1, last_attempt_at = :now"
        " WHERE id IN (SELECT o.id FROM delivery_outbox o"
        "  JOIN delivery_routes r ON r.id = o.route_id"
        "  WHERE ((o.state = 'pending' AND o.next_attempt_at <= :now)"
        "   OR (o.state = 'in_flight' AND o.lease_until <= :now))"
        "  AND r.enabled = 1"
        "  AND r.endpoint NOT IN (SELECT value FROM json_each(:blocked))"
        "  AND (:endpoint IS NULL OR r.endpoint = :endpoint)"
        "  ORDER BY o.next_attempt_at, o.id LIMIT :limit)"
        " RETURNING id, submission_id, route_id, idempotency_key, test, probe,"
        " route_environment, attempts, created_at, lease_until",
        {
            "now": now,
            "lease": lease_until,
            "limit": limit,
            "blocked": json.dumps(blocked),
            "endpoint": endpoint,
        },
    ) as cur:
        rows = await cur.fetchall()
    return [msgspec.convert(dict(r), Claim, strict=False) for r in rows]


async def mark_delivered(
    conn: Connection, outbox_id: int, receipt: bytes, now: float
) -> bool:
    """Delivered wins over anything but an earlier delivery (a late answer after
    the lease ran out is still the receiver's confirmation)."""
    cursor = await conn.execute(
        "UPDATE delivery_outbox SET state = 'delivered', receipt = ?, finished_at = ?,"
        " lease_until = NULL, last_reason = NULL WHERE id = ? AND state <> 'delivered'",
        (receipt.decode(), now, outbox_id),
    )
    return cursor.rowcount == 1


async def reschedule(
    conn: Connection, claimed: Claim, next_at: float, reason: str
) -> bool:
    cursor = await conn.execute(
        "UPDATE delivery_outbox SET state = 'pending', next_attempt_at = ?,"
        " lease_until = NULL, last_reason = ?"
        " WHERE id = ? AND state = 'in_flight' AND lease_until = ?",
        (next_at, reason, claimed.id, claimed.lease_until),
    )
    return cursor.rowcount == 1


async def mark_dead(conn: Connection, claimed: Claim, reason: str, now: float) -> bool:
    cursor = await conn.execute(
        "UPDATE delivery_outbox SET state = 'dead', finished_at = ?,"
        " lease_until = NULL, last_reason = ?"
        " WHERE id = ? AND state = 'in_flight' AND lease_until = ?",
        (now, reason, claimed.id, claimed.lease_until),
    )
    return cursor.rowcount == 1


async def release(conn: Connection, claimed: Claim) -> None:
    """Give a claimed row back untried (shutdown): the attempt does not count."""
    await conn.execute(
        "UPDATE delivery_outbox SET state = 'pending', lease_until = NULL,"
        " attempts = attempts - 1 WHERE id = ? AND state = 'in_flight'"
        " AND lease_until = ?",
        (claimed.id, claimed.lease_until),
    )


async def retry_dead(conn: Connection, outbox_id: int, now: float) -> bool:
    cursor = await conn.execute(
        "UPDATE delivery_outbox SET state = 'pending', attempts = 0,"
        " next_attempt_at = ?, created_at = ?, finished_at = NULL"
        " WHERE id = ? AND state = 'dead'",
        (now, now, outbox_id),
    )
    return cursor.rowcount == 1


async def outbox_item(conn: Connection, outbox_id: int) -> OutboxItem | None:
    async with conn.execute(f"{_ITEM} WHERE o.id = ?", (outbox_id,)) as cur:
        row = await cur.fetchone()
    return _item(row) if row else None


async def outbox_of(
    conn: Connection,
    subscription_id: str,
    *,
    states: tuple[str, ...],
    limit: int,
    submission_id: str | None = None,
) -> list[OutboxItem]:
    async with conn.execute(
        f"{_ITEM} WHERE r.subscription_id = ?"
        " AND o.state IN (SELECT value FROM json_each(?))"
        " AND (? IS NULL OR o.submission_id = ?) ORDER BY o.id DESC LIMIT ?",
        (subscription_id, json.dumps(states), submission_id, submission_id, limit),
    ) as cur:
        return [_item(row) for row in await cur.fetchall()]


# Transfer log ------------------------------------------------------------------------


async def insert_log(conn: Connection, entry: TransferLogEntry, outbox_id: int) -> None:
    values = msgspec.to_builtins(entry)
    values["data_fields"] = json.dumps(values["data_fields"])
    values["documents"] = json.dumps(values["documents"])
    await conn.execute(
        "INSERT INTO delivery_transfer_log (entry_id, at, municipality_ags,"
        " submission_id, outbox_id, service_leika, purpose, receiver, connector,"
        " environment, channel, identification_level, data_fields, documents,"
        " outcome, receipt_reference, reason) VALUES (:entry_id, :at,"
        " :municipality_ags, :submission_id, :outbox_id, :service_leika, :purpose,"
        " :receiver, :connector, :environment, :channel, :identification_level,"
        " :data_fields, :documents, :outcome, :receipt_reference, :reason)",
        {**values, "outbox_id": outbox_id},
    )


_LOG = (
    "SELECT id, entry_id, at, submission_id, outbox_id, municipality_ags,"
    " service_leika, purpose, receiver, connector, environment, channel,"
    " identification_level, data_fields, documents, outcome, receipt_reference,"
    " reason FROM delivery_transfer_log"
)


async def log_page(
    conn: Connection, ags: str, *, after: int, limit: int
) -> list[TransferLogRow]:
    """Oldest first from ``after`` on (paging and export)."""
    async with conn.execute(
        f"{_LOG} WHERE municipality_ags = ? AND id > ? ORDER BY id LIMIT ?",
        (ags, after, limit),
    ) as cur:
        return _log_rows(await cur.fetchall())


async def log_latest(conn: Connection, ags: str, limit: int) -> list[TransferLogRow]:
    async with conn.execute(
        f"{_LOG} WHERE municipality_ags = ? ORDER BY id DESC LIMIT ?", (ags, limit)
    ) as cur:
        return _log_rows(await cur.fetchall())


def _log_rows(rows: Iterable[Row]) -> list[TransferLogRow]:
    found = []
    for row in rows:
        values = dict(row)
        values["data_fields"] = json.loads(values["data_fields"])
        values["documents"] = json.loads(values["documents"])
        found.append(msgspec.convert(values, TransferLogRow))
    return found
