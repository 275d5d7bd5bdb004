"""SQL of cross-node contracts (``federation_contracts``, migration 0011) and the
few catalog lookups they need."""

from __future__ import annotations

from marketplace.db import Connection, Row
from marketplace.federation.messages import RemoteContract

_COLUMNS = (
    "request_id, side, peer, contract_id, state, text_sha256, reason, attempts,"
    " created_at, updated_at"
)
_PREFIXED = ", ".join(f"f.{column.strip()}" for column in _COLUMNS.split(","))


async def _one(conn: Connection, sql: str, params: tuple[object, ...]) -> Row | None:
    async with conn.execute(sql, params) as cur:
        return await cur.fetchone()


async def insert(
    conn: Connection,
    *,
    request_id: str,
    side: str,
    peer: str,
    contract_id: int | None,
    state: str,
    text_sha256: str,
    request: bytes,
    reason: str | None,
    now: str,
) -> None:
    await conn.execute(
        "INSERT INTO federation_contracts (request_id, side, peer, contract_id, state,"
        " text_sha256, request, reason, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            request_id,
            side,
            peer,
            contract_id,
            state,
            text_sha256,
            request,
            reason,
            now,
            now,
        ),
    )


async def get(conn: Connection, request_id: str) -> RemoteContract | None:
    row = await _one(
        conn,
        f"SELECT {_COLUMNS} FROM federation_contracts WHERE request_id = ?",  # noqa: S608 (constant columns)
        (request_id,),
    )
    return RemoteContract(**dict(row)) if row else None


async def for_contract(conn: Connection, contract_id: int) -> RemoteContract | None:
    row = await _one(
        conn,
        f"SELECT {_COLUMNS} FROM federation_contracts WHERE contract_id = ?",  # noqa: S608 (constant columns)
        (contract_id,),
    )
    return RemoteContract(**dict(row)) if row else None


async def request_body(conn: Connection, request_id: str) -> bytes:
    row = await _one(
        conn,
        "SELECT request FROM federation_contracts WHERE request_id = ?",
        (request_id,),
    )
    return bytes(row[0]) if row else b""


async def move(
    conn: Connection, request_id: str, state: str, reason: str | None, now: str
) -> None:
    await conn.execute(
        "UPDATE federation_contracts SET state = ?, reason = ?, updated_at = ?"
        " WHERE request_id = ?",
        (state, reason, now, request_id),
    )


async def attempt_failed(
    conn: Connection, request_id: str, reason: str, now: str
) -> None:
    await conn.execute(
        "UPDATE federation_contracts SET attempts = attempts + 1, reason = ?,"
        " updated_at = ? WHERE request_id = ?",
        (reason, now, request_id),
    )


async def listing(
    conn: Connection, *, ags: str | None, provider_id: str | None
) -> list[RemoteContract]:
    """Rows whose local contract belongs to the municipality or provider (both
    None: all, for the operator)."""
    async with conn.execute(
        f"SELECT {_PREFIXED}"  # noqa: S608 (constant columns)
        " FROM federation_contracts f LEFT JOIN contracts c ON c.id = f.contract_id"
        " WHERE (? IS NULL OR c.municipality_ags = ?)"
        " AND (? IS NULL OR c.provider_id = ?) ORDER BY f.created_at, f.request_id",
        (ags, ags, provider_id, provider_id),
    ) as cur:
        rows = await cur.fetchall()
    return [RemoteContract(**dict(row)) for row in rows]


async def open_buyer_rows(conn: Connection) -> list[RemoteContract]:
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM federation_contracts WHERE side = 'buyer'"  # noqa: S608 (constant columns)
        " AND state IN ('to_forward', 'forwarded', 'active') ORDER BY created_at"
    ) as cur:
        rows = await cur.fetchall()
    return [RemoteContract(**dict(row)) for row in rows]


async def replicated_version(conn: Connection, version_id: int) -> Row | None:
    """A replicated offer version with its home node and ids there."""
    return await _one(
        conn,
        "SELECT v.id, v.version, v.home_version_id, o.home_node, o.home_offer_id"
        " FROM offer_versions v JOIN offers o ON o.id = v.offer_id"
        " WHERE v.id = ? AND v.status = 'published' AND o.home_node IS NOT NULL",
        (version_id,),
    )


async def own_version(
    conn: Connection, offer_id: int, version_id: int, number: int
) -> bool:
    row = await _one(
        conn,
        "SELECT 1 FROM offer_versions v JOIN offers o ON o.id = v.offer_id"
        " WHERE v.id = ? AND o.id = ? AND v.version = ? AND o.home_node IS NULL",
        (version_id, offer_id, number),
    )
    return row is not None


async def municipality(conn: Connection, ags: str) -> Row | None:
    return await _one(conn, "SELECT * FROM municipalities WHERE ags = ?", (ags,))


async def signed_unforwarded(conn: Connection) -> list[int]:
    """Contracts for replicated offers that the municipality signed here (for
    example on the contract page) but that were not sent to the home node yet."""
    async with conn.execute(
        "SELECT c.id FROM contracts c JOIN offer_versions v ON v.id = c.offer_version_id"
        " JOIN offers o ON o.id = v.offer_id WHERE o.home_node IS NOT NULL"
        " AND c.state = 'signed' AND NOT EXISTS (SELECT 1 FROM federation_contracts f"
        " WHERE f.contract_id = c.id) ORDER BY c.id"
    ) as cur:
        rows = await cur.fetchall()
    return [int(row[0]) for row in rows]


async def usage_counts(conn: Connection) -> list[tuple[str, str, int]]:
    """(LeiKa key, Land, municipalities) over contracts in force that this node's
    municipalities concluded here; a provider-side copy of another node's
    contract is that node's to count."""
    async with conn.execute(
        "SELECT s.leika_key, m.land_code, COUNT(DISTINCT c.municipality_ags)"
        " FROM contracts c JOIN offer_versions v ON v.id = c.offer_version_id"
        " JOIN offers o ON o.id = v.offer_id JOIN services s ON s.id = o.service_id"
        " JOIN municipalities m ON m.ags = c.municipality_ags"
        " WHERE c.state IN ('countersigned', 'active') AND NOT EXISTS ("
        "  SELECT 1 FROM federation_contracts f WHERE f.contract_id = c.id"
        "  AND f.side = 'provider') GROUP BY s.leika_key, m.land_code"
        " ORDER BY s.leika_key, m.land_code"
    ) as cur:
        rows = await cur.fetchall()
    return [(row[0], row[1], int(row[2])) for row in rows]


async def service_titles(conn: Connection) -> dict[str, str]:
    async with conn.execute("SELECT leika_key, title FROM services") as cur:
        rows = await cur.fetchall()
    return {row[0]: row[1] for row in rows}
