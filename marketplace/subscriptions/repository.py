"""SQL of the subscription context."""

from __future__ import annotations

from marketplace.db import Connection
from marketplace.subscriptions.schemas import Subscription, SubscriptionIn

_COLUMNS = (
    "id, contract_id, municipality_ags, provider_id, offer_version_id, environment,"
    " endpoint_url, fachverfahren, state, created_at, updated_at, ended_at"
)


async def get(conn: Connection, subscription_id: str) -> Subscription | None:
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM subscriptions WHERE id = ?", (subscription_id,)
    ) as cur:
        row = await cur.fetchone()
    return Subscription(**dict(row)) if row else None


async def active_for(
    conn: Connection, contract_id: int, environment: str
) -> Subscription | None:
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM subscriptions WHERE contract_id = ?"
        " AND environment = ? AND state = 'active'",
        (contract_id, environment),
    ) as cur:
        row = await cur.fetchone()
    return Subscription(**dict(row)) if row else None


async def insert(
    conn: Connection,
    subscription_id: str,
    data: SubscriptionIn,
    *,
    ags: str,
    provider_id: str,
    offer_version_id: int,
    now: str,
) -> None:
    await conn.execute(
        f"INSERT INTO subscriptions ({_COLUMNS}) VALUES"
        " (?, ?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, NULL)",
        (
            subscription_id,
            data.contract_id,
            ags,
            provider_id,
            offer_version_id,
            data.environment,
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


async def end_for_contract(conn: Connection, contract_id: int, now: str) -> None:
    await conn.execute(
        "UPDATE subscriptions SET state = 'ended', ended_at = ?, updated_at = ?"
        " WHERE contract_id = ? AND state = 'active'",
        (now, now, contract_id),
    )


async def listing(
    conn: Connection, *, ags: str | None, provider_id: str | None
) -> list[Subscription]:
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM subscriptions WHERE (? IS NULL OR municipality_ags = ?)"
        " AND (? IS NULL OR provider_id = ?) ORDER BY created_at DESC, id",
        (ags, ags, provider_id, provider_id),
    ) as cur:
        return [Subscription(**dict(row)) for row in await cur.fetchall()]
