"""SQL of the delivery context: routes, submissions and the transfer log (the
outbox queue is in ``outbox_repository``)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import Any

import msgspec

from connectors.transferlog import TransferLogEntry
from marketplace.db import Connection, Row
from marketplace.delivery.schemas import (
    StoredRoute,
    TransferLogRow,
)

_ROUTE = (
    "SELECT id, subscription_id, name, environment, kind, settings, endpoint,"
    " enabled, created_at, updated_at FROM delivery_routes"
)


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
    # execute_fetchall: one round trip to the database thread, not three (the
    # engine reads route, submission and envelope for every delivery).
    rows = list(await conn.execute_fetchall(f"{_ROUTE} WHERE id = ?", (route_id,)))
    return msgspec.convert(route_dict(rows[0]), StoredRoute) if rows else None


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
    " test, created_at, undeliverable_reason, body_purged_at FROM delivery_submissions"
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
    query = f"{_SUBMISSION} WHERE id = ?"
    rows = list(await conn.execute_fetchall(query, (submission_id,)))
    return dict(rows[0]) if rows else None


async def envelope(conn: Connection, submission_id: str) -> bytes | None:
    rows = list(
        await conn.execute_fetchall(
            "SELECT envelope FROM delivery_submissions WHERE id = ?", (submission_id,)
        )
    )
    return bytes(rows[0][0]) if rows else None


async def set_routing(
    conn: Connection,
    submission_id: str,
    subscription_id: str | None,
    reason: str | None,
) -> None:
    """The subscription a kept submission now belongs to, and why it still cannot
    go (``None``: it is queued)."""
    await conn.execute(
        "UPDATE delivery_submissions SET subscription_id = ?, undeliverable_reason = ?"
        " WHERE id = ?",
        (subscription_id, reason, submission_id),
    )


async def undeliverable(conn: Connection, ags: str, limit: int) -> list[dict[str, Any]]:
    """Submissions of the municipality that reached no route, newest first."""
    async with conn.execute(
        f"{_SUBMISSION} WHERE municipality_ags = ? AND undeliverable_reason IS NOT NULL"
        " ORDER BY created_at DESC LIMIT ?",
        (ags, limit),
    ) as cur:
        return [dict(row) for row in await cur.fetchall()]


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
