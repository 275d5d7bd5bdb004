"""SQL of the contract context: contracts, signatures, the audit log, settings."""

from __future__ import annotations

from typing import Any

import msgspec

from marketplace.contracts.schemas import Contract, ContractEvent, Signature, State
from marketplace.costs.schemas import Quote
from marketplace.db import Connection, Row

_CONTRACT_SQL = (
    "SELECT c.*, v.offer_id, v.title AS offer_title, s.title AS service_title,"
    " p.name AS provider_name, m.name AS municipality_name"
    " FROM contracts c JOIN offer_versions v ON v.id = c.offer_version_id"
    " JOIN offers o ON o.id = v.offer_id JOIN services s ON s.id = o.service_id"
    " JOIN providers p ON p.id = c.provider_id"
    " JOIN municipalities m ON m.ags = c.municipality_ags"
)


async def insert_contract(conn: Connection, values: dict[str, Any]) -> int:
    columns = ", ".join(values)
    marks = ", ".join("?" for _ in values)
    cursor = await conn.execute(
        f"INSERT INTO contracts ({columns}) VALUES ({marks})", tuple(values.values())
    )
    return int(cursor.lastrowid or 0)


async def move(
    conn: Connection,
    contract_id: int,
    *,
    expected: State,
    to: State,
    now: str,
    extra: dict[str, Any] | None = None,
) -> bool:
    """Change the state only if it is still ``expected`` (else another request won)."""
    sets = {"state": to.value, "updated_at": now, **(extra or {})}
    assignments = ", ".join(f"{column} = ?" for column in sets)
    cursor = await conn.execute(
        f"UPDATE contracts SET {assignments} WHERE id = ? AND state = ?",
        (*sets.values(), contract_id, expected.value),
    )
    return cursor.rowcount == 1


async def add_signature(
    conn: Connection,
    contract_id: int,
    *,
    party: str,
    user_id: int | None,
    signer: str,
    now: str,
    text_sha256: str,
) -> None:
    await conn.execute(
        "INSERT INTO contract_signatures"
        " (contract_id, party, user_id, signer, signed_at, text_sha256)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (contract_id, party, user_id, signer, now, text_sha256),
    )


async def add_event(
    conn: Connection, contract_id: int, user_id: int | None, event: ContractEvent
) -> None:
    """Append one audit row; ``user_id`` is None for the provider's automation."""
    await conn.execute(
        "INSERT INTO contract_events (contract_id, actor_user_id, at, actor,"
        " actor_role, action, from_state, to_state, text_sha256)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            contract_id,
            user_id,
            event.at,
            event.actor,
            event.actor_role,
            event.action,
            event.from_state,
            event.to_state,
            event.text_sha256,
        ),
    )


async def signatures(conn: Connection, contract_id: int) -> list[Signature]:
    async with conn.execute(
        "SELECT party, signer, signed_at, text_sha256 FROM contract_signatures"
        " WHERE contract_id = ? ORDER BY id",
        (contract_id,),
    ) as cur:
        return [Signature(**dict(row)) for row in await cur.fetchall()]


async def _contract(conn: Connection, row: Row) -> Contract:
    values = dict(row)
    values["quote"] = msgspec.json.decode(values["quote"], type=Quote)
    values["signatures"] = await signatures(conn, values["id"])
    return msgspec.convert(values, Contract)


async def get_contract(conn: Connection, contract_id: int) -> Contract | None:
    async with conn.execute(f"{_CONTRACT_SQL} WHERE c.id = ?", (contract_id,)) as cur:
        row = await cur.fetchone()
    return await _contract(conn, row) if row else None


async def list_contracts(
    conn: Connection, *, ags: str | None, provider_id: str | None
) -> list[Contract]:
    async with conn.execute(
        f"{_CONTRACT_SQL} WHERE (? IS NULL OR c.municipality_ags = ?)"
        " AND (? IS NULL OR c.provider_id = ?) ORDER BY c.id DESC",
        (ags, ags, provider_id, provider_id),
    ) as cur:
        rows = await cur.fetchall()
    return [await _contract(conn, row) for row in rows]


async def events(conn: Connection, contract_id: int) -> list[ContractEvent]:
    async with conn.execute(
        "SELECT at, actor, actor_role, action, from_state, to_state, text_sha256"
        " FROM contract_events WHERE contract_id = ? ORDER BY id",
        (contract_id,),
    ) as cur:
        return [ContractEvent(**dict(row)) for row in await cur.fetchall()]


async def settings_for(conn: Connection, provider_id: str) -> tuple[bool, bool]:
    async with conn.execute(
        "SELECT auto_offer, auto_countersign FROM provider_contract_settings"
        " WHERE provider_id = ?",
        (provider_id,),
    ) as cur:
        row = await cur.fetchone()
    return (bool(row[0]), bool(row[1])) if row else (False, False)


async def provider_exists(conn: Connection, provider_id: str) -> bool:
    async with conn.execute(
        "SELECT 1 FROM providers WHERE id = ?", (provider_id,)
    ) as cur:
        return await cur.fetchone() is not None


async def save_settings(
    conn: Connection, provider_id: str, auto_offer: bool, auto_countersign: bool
) -> None:
    await conn.execute(
        "INSERT INTO provider_contract_settings VALUES (?, ?, ?)"
        " ON CONFLICT (provider_id) DO UPDATE SET auto_offer = excluded.auto_offer,"
        " auto_countersign = excluded.auto_countersign",
        (provider_id, int(auto_offer), int(auto_countersign)),
    )


async def municipality(conn: Connection, ags: str) -> Row | None:
    async with conn.execute(
        "SELECT name, land_code FROM municipalities WHERE ags = ?", (ags,)
    ) as cur:
        return await cur.fetchone()


async def offer_context(conn: Connection, version_id: int) -> Row | None:
    """What rendering a contract for a published version needs, and the newest
    published version number if a newer one replaced it."""
    async with conn.execute(
        "SELECT v.id, v.version, v.title, v.published_at, v.legal_route,"
        " v.contract_template, v.notice_period_months, v.cost_model, o.provider_id,"
        " o.withdrawn_at, o.home_node, p.name AS provider_name,"
        " s.title AS service_title,"
        " s.leika_key, (SELECT MAX(n.version) FROM offer_versions n"
        " WHERE n.offer_id = v.offer_id AND n.status = 'published'"
        " AND n.version > v.version) AS superseded_by"
        " FROM offer_versions v JOIN offers o ON o.id = v.offer_id"
        " JOIN providers p ON p.id = o.provider_id JOIN services s ON s.id = o.service_id"
        " WHERE v.id = ? AND v.status = 'published'",
        (version_id,),
    ) as cur:
        return await cur.fetchone()
