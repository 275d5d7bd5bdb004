"""SQL of the subscription context.

A subscription whose contract was terminated stays active up to and including its
``ends_at`` day. Reads report it as ended from the day after, even before
``end_due`` has written that down, so nobody sees a subscription outlive its
contract; writes call ``end_due`` first, inside their transaction.
"""

from __future__ import annotations

from datetime import date

import msgspec

from marketplace.db import Connection, Row
from marketplace.subscriptions.schemas import Subscription, SubscriptionIn

_OVER = "(state = 'active' AND ends_at IS NOT NULL AND ends_at < :today)"
_ENDED_AT = "date(ends_at, '+1 day') || 'T00:00:00+00:00'"
_SELECT = (
    "SELECT id, contract_id, municipality_ags, provider_id, offer_id,"
    " offer_version_id, environment, endpoint_url, fachverfahren,"
    f" CASE WHEN {_OVER} THEN 'ended' ELSE state END AS state,"
    " created_at, updated_at, ends_at,"
    f" CASE WHEN {_OVER} THEN {_ENDED_AT} ELSE ended_at END AS ended_at"
    " FROM subscriptions"
)


def _subscription(row: Row) -> Subscription:
    return msgspec.convert(dict(row), Subscription)


async def _one(
    conn: Connection, today: date, where: str, params: dict[str, object]
) -> Subscription | None:
    async with conn.execute(
        f"{_SELECT} WHERE {where}", {"today": today.isoformat(), **params}
    ) as cur:
        row = await cur.fetchone()
    return _subscription(row) if row else None


async def get(
    conn: Connection, subscription_id: str, today: date
) -> Subscription | None:
    return await _one(conn, today, "id = :id", {"id": subscription_id})


async def active_for_offer(
    conn: Connection, ags: str, offer_id: int, environment: str, today: date
) -> Subscription | None:
    """The municipality's running subscription of the offer in that environment."""
    return await _one(
        conn,
        today,
        "municipality_ags = :ags AND offer_id = :offer AND environment = :env"
        f" AND state = 'active' AND NOT {_OVER}",
        {"ags": ags, "offer": offer_id, "env": environment},
    )


async def endpoint_in_other_environment(
    conn: Connection, ags: str, endpoint_url: str, environment: str, today: date
) -> Subscription | None:
    """A running subscription of the municipality in the other environment that
    already delivers to ``endpoint_url``."""
    return await _one(
        conn,
        today,
        "municipality_ags = :ags AND endpoint_url = :url AND environment != :env"
        f" AND state = 'active' AND NOT {_OVER}",
        {"ags": ags, "url": endpoint_url, "env": environment},
    )


async def insert(
    conn: Connection,
    subscription_id: str,
    data: SubscriptionIn,
    *,
    ags: str,
    provider_id: str,
    offer_id: int,
    offer_version_id: int,
    now: str,
) -> None:
    await conn.execute(
        "INSERT INTO subscriptions (id, contract_id, municipality_ags, provider_id,"
        " offer_id, offer_version_id, environment, endpoint_url, fachverfahren,"
        " state, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?)",
        (
            subscription_id,
            data.contract_id,
            ags,
            provider_id,
            offer_id,
            offer_version_id,
            data.environment.value,
            data.endpoint_url,
            data.fachverfahren,
            now,
            now,
        ),
    )


async def update_settings(
    conn: Connection,
    subscription_id: str,
    endpoint_url: str,
    fachverfahren: str,
    now: str,
) -> None:
    await conn.execute(
        "UPDATE subscriptions SET endpoint_url = ?, fachverfahren = ?, updated_at = ?"
        " WHERE id = ? AND state = 'active'",
        (endpoint_url, fachverfahren, now, subscription_id),
    )


async def end(conn: Connection, subscription_id: str, now: str) -> None:
    await conn.execute(
        "UPDATE subscriptions SET state = 'ended', ended_at = ?, updated_at = ?"
        " WHERE id = ? AND state = 'active'",
        (now, now, subscription_id),
    )


async def schedule_end(
    conn: Connection, contract_id: int, last_day: str, now: str
) -> int:
    """The contract was terminated: its running subscriptions end after ``last_day``."""
    cursor = await conn.execute(
        "UPDATE subscriptions SET ends_at = ?, updated_at = ?"
        " WHERE contract_id = ? AND state = 'active'",
        (last_day, now, contract_id),
    )
    return cursor.rowcount


async def end_due(conn: Connection, today: date, now: str) -> int:
    """Write down the end of every subscription whose last day has passed."""
    cursor = await conn.execute(
        f"UPDATE subscriptions SET state = 'ended', ended_at = {_ENDED_AT},"
        f" updated_at = :now WHERE {_OVER}",
        {"today": today.isoformat(), "now": now},
    )
    return cursor.rowcount


async def listing(
    conn: Connection, today: date, *, ags: str | None, provider_id: str | None
) -> list[Subscription]:
    async with conn.execute(
        f"{_SELECT} WHERE (:ags IS NULL OR municipality_ags = :ags)"
        " AND (:provider IS NULL OR provider_id = :provider)"
        " ORDER BY created_at DESC, id",
        {"today": today.isoformat(), "ags": ags, "provider": provider_id},
    ) as cur:
        return [_subscription(row) for row in await cur.fetchall()]
