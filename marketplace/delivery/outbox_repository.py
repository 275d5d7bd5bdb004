"""SQL of the outbox queue: enqueue, claim with a lease, outcomes, retry, views.

The claim is one ``UPDATE ... RETURNING`` over due rows and rows whose lease ran
out (a killed process's in-flight rows come back after their lease). On
PostgreSQL the inner ``SELECT`` gets ``FOR UPDATE SKIP LOCKED``; SQLite has one
writer, so the statement alone is atomic. Like ``repository``, the only SQL of
its tables; statements are composed from constant fragments, values are bound.
"""

from __future__ import annotations

import json
import math

import msgspec

from marketplace.db import Connection, Row
from marketplace.delivery.schemas import OutboxItem, StoredRoute


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


# A row last tried more than this many seconds "in the future" was scheduled
# before the wall clock was set back; smaller differences are workers' clocks and
# the time between taking ``now`` and running the claim.
CLOCK_STEP = 60.0

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


async def any_due(conn: Connection, now: float, horizon: float = math.inf) -> bool:
    """A cheap read before the claim, so an idle engine never takes the writer."""
    async with conn.execute(
        "SELECT EXISTS (SELECT 1 FROM delivery_outbox WHERE state = 'pending'"
        " AND (next_attempt_at <= :now OR last_attempt_at > :ahead"
        "  OR next_attempt_at > :far))"
        " OR EXISTS (SELECT 1 FROM delivery_outbox WHERE state = 'in_flight'"
        " AND (lease_until <= :now OR last_attempt_at > :ahead"
        "  OR lease_until > :far))",
        {"now": now, "ahead": now + CLOCK_STEP, "far": now + CLOCK_STEP + horizon},
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
    horizon: float = math.inf,
) -> list[Claim]:
    """Lease up to ``limit`` due rows of enabled routes, skipping ``blocked``
    endpoints (open breakers); with ``endpoint`` only that one (a probe).

    A row last tried "in the future" was scheduled before the wall clock was set
    back (an NTP step): its retry time and lease mean nothing now, so it is due
    at once instead of waiting out the jump. Only a step of more than
    ``CLOCK_STEP`` counts: with several workers (or nodes) one may claim a row
    with a ``now`` taken a moment before another worker's claim of it, and must
    not take that in-flight row again (docs/operations.md). A row can also be
    tried before the step and rescheduled after it; so a retry or lease ending
    more than ``horizon`` (the longest backoff or lease) plus ``CLOCK_STEP`` ahead
    is due at once as well."""
    async with conn.execute(
        "UPDATE delivery_outbox SET state = 'in_flight', lease_until = :lease,"
        " attempts = attempts + 1, last_attempt_at = :now"
        " WHERE id IN (SELECT o.id FROM delivery_outbox o"
        "  JOIN delivery_routes r ON r.id = o.route_id"
        "  WHERE ((o.state = 'pending' AND o.next_attempt_at <= :now)"
        "   OR (o.state = 'in_flight' AND o.lease_until <= :now)"
        "   OR (o.state IN ('pending', 'in_flight') AND o.last_attempt_at > :ahead)"
        "   OR (o.state = 'pending' AND o.next_attempt_at > :far)"
        "   OR (o.state = 'in_flight' AND o.lease_until > :far))"
        "  AND r.enabled = 1"
        "  AND r.endpoint NOT IN (SELECT value FROM json_each(:blocked))"
        "  AND (:endpoint IS NULL OR r.endpoint = :endpoint)"
        "  ORDER BY o.next_attempt_at, o.id LIMIT :limit"
        "  /*pg: FOR UPDATE OF o SKIP LOCKED*/)"
        " RETURNING id, submission_id, route_id, idempotency_key, test, probe,"
        " route_environment, attempts, created_at, lease_until",
        {
            "now": now,
            "ahead": now + CLOCK_STEP,
            "far": now + CLOCK_STEP + horizon,
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
    query = f"{_ITEM} WHERE o.id = ?"
    async with conn.execute(query, (outbox_id,)) as cur:
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
    query = (
        f"{_ITEM} WHERE r.subscription_id = ?"  # noqa: S608 - constant columns
        " AND o.state IN (SELECT value FROM json_each(?))"
        " AND (? IS NULL OR o.submission_id = ?) ORDER BY o.id DESC LIMIT ?"
    )
    async with conn.execute(
        query,
        (subscription_id, json.dumps(states), submission_id, submission_id, limit),
    ) as cur:
        return [_item(row) for row in await cur.fetchall()]
