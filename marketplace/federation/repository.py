"""SQL of the federation: node identity, feed rows, peers, gaps and incidents.
The replica's writes into the catalog tables are in ``replica_rows.py``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from marketplace.db import Connection, Row
from marketplace.federation.schemas import Incident, Peer, PeerIn

Params = Sequence[Any] | Mapping[str, Any]


async def _one(conn: Connection, sql: str, params: Params = ()) -> Row | None:
    async with conn.execute(sql, params) as cur:
        return await cur.fetchone()


async def _all(conn: Connection, sql: str, params: Params = ()) -> list[Row]:
    async with conn.execute(sql, params) as cur:
        return list(await cur.fetchall())


# Node -------------------------------------------------------------------------------


async def node(conn: Connection) -> Row | None:
    return await _one(
        conn, "SELECT name, base_url, public_key FROM federation_node WHERE id = 1"
    )


async def save_node(
    conn: Connection, name: str, base_url: str, public_key: str, now: str
) -> None:
    await conn.execute(
        "INSERT INTO federation_node (id, name, base_url, public_key, created_at)"
        " VALUES (1, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET"
        " name = excluded.name, base_url = excluded.base_url,"
        " public_key = excluded.public_key",
        (name, base_url, public_key, now),
    )


async def record_node_key(conn: Connection, public_key: str) -> None:
    """The key of a node initialised before keys were recorded (first start)."""
    await conn.execute(
        "UPDATE federation_node SET public_key = ? WHERE id = 1 AND public_key IS NULL",
        (public_key,),
    )


# Feed -------------------------------------------------------------------------------


async def last_seq(conn: Connection) -> int:
    """The highest sealed number (unsealed rows are always a suffix)."""
    row = await _one(
        conn,
        "SELECT COALESCE(MAX(seq), 0) FROM federation_feed WHERE body IS NOT NULL",
    )
    return int(row[0]) if row else 0


async def unsealed(conn: Connection, upto: int) -> list[Row]:
    return await _all(
        conn,
        "SELECT seq, kind, offer_id, version_id, recorded_at FROM federation_feed"
        " WHERE body IS NULL AND seq <= ? ORDER BY seq",
        (upto,),
    )


async def seal(conn: Connection, seq: int, body: bytes, signature: bytes) -> None:
    await conn.execute(
        "UPDATE federation_feed SET body = ?, signature = ? WHERE seq = ?"
        " AND body IS NULL",
        (body, signature, seq),
    )


async def has_unsealed(conn: Connection, upto: int) -> bool:
    row = await _one(
        conn,
        "SELECT 1 FROM federation_feed WHERE body IS NULL AND seq <= ? LIMIT 1",
        (upto,),
    )
    return row is not None


async def sealed_after(conn: Connection, after: int, limit: int) -> list[Row]:
    return await _all(
        conn,
        "SELECT seq, body, signature FROM federation_feed WHERE seq > ?"
        " AND body IS NOT NULL ORDER BY seq LIMIT ?",
        (after, limit),
    )


# Peers ------------------------------------------------------------------------------

_PEER_COLUMNS = (
    "name, base_url, public_key, enabled, cursor, entries_applied, bytes_fetched,"
    " added_at, last_attempt_at, last_success_at, last_error"
)


def _peer(row: Row) -> Peer:
    values = dict(row)
    values["enabled"] = bool(values["enabled"])
    return Peer(**values)


async def insert_peer(conn: Connection, data: PeerIn, now: str) -> None:
    await conn.execute(
        "INSERT INTO federation_peers (name, base_url, public_key, added_at)"
        " VALUES (?, ?, ?, ?)",
        (data.name, data.base_url.rstrip("/"), data.public_key, now),
    )


async def peers(conn: Connection) -> list[Peer]:
    rows = await _all(
        conn, f"SELECT {_PEER_COLUMNS} FROM federation_peers ORDER BY name"
    )
    return [_peer(row) for row in rows]


async def peer(conn: Connection, name: str) -> Peer | None:
    row = await _one(
        conn, f"SELECT {_PEER_COLUMNS} FROM federation_peers WHERE name = ?", (name,)
    )
    return _peer(row) if row else None


async def delete_peer(conn: Connection, name: str) -> bool:
    cursor = await conn.execute("DELETE FROM federation_peers WHERE name = ?", (name,))
    return cursor.rowcount == 1


async def set_enabled(conn: Connection, name: str, enabled: bool) -> bool:
    cursor = await conn.execute(
        "UPDATE federation_peers SET enabled = ? WHERE name = ?", (int(enabled), name)
    )
    return cursor.rowcount == 1


async def reset_cursor(conn: Connection, name: str) -> None:
    await conn.execute("UPDATE federation_peers SET cursor = 0 WHERE name = ?", (name,))
    await conn.execute("DELETE FROM federation_gaps WHERE peer = ?", (name,))


async def record_pull(
    conn: Connection,
    name: str,
    *,
    cursor: int,
    applied: int,
    fetched_bytes: int,
    now: str,
    error: str | None,
) -> None:
    await conn.execute(
        "UPDATE federation_peers SET cursor = MAX(cursor, ?),"
        " entries_applied = entries_applied + ?, bytes_fetched = bytes_fetched + ?,"
        " last_attempt_at = ?, last_error = ?,"
        " last_success_at = CASE WHEN ? IS NULL THEN ? ELSE last_success_at END"
        " WHERE name = ?",
        (cursor, applied, fetched_bytes, now, error, error, now, name),
    )


async def gaps(conn: Connection, name: str) -> list[int]:
    rows = await _all(
        conn, "SELECT seq FROM federation_gaps WHERE peer = ? ORDER BY seq", (name,)
    )
    return [int(row[0]) for row in rows]


async def add_gaps(conn: Connection, name: str, seqs: Sequence[int]) -> None:
    await conn.executemany(
        "INSERT OR IGNORE INTO federation_gaps (peer, seq) VALUES (?, ?)",
        [(name, seq) for seq in seqs],
    )


async def fill_gap(conn: Connection, name: str, seq: int) -> None:
    await conn.execute(
        "DELETE FROM federation_gaps WHERE peer = ? AND seq = ?", (name, seq)
    )


# Incidents --------------------------------------------------------------------------


async def add_incident(
    conn: Connection, peer: str, kind: str, seq: int | None, detail: str, now: str
) -> None:
    """Record a refusal once: the same refusal on every later pull (a forged
    entry the peer keeps serving) adds no row."""
    await conn.execute(
        "INSERT INTO federation_incidents (peer, at, kind, seq, detail)"
        " SELECT ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM federation_incidents"
        " WHERE peer = ? AND kind = ? AND seq IS ? AND detail = ?)",
        (peer, now, kind, seq, detail, peer, kind, seq, detail),
    )


async def incidents(
    conn: Connection, peer: str | None = None, limit: int = 200
) -> list[Incident]:
    rows = await _all(
        conn,
        "SELECT id, peer, at, kind, seq, detail FROM federation_incidents"
        " WHERE (? IS NULL OR peer = ?) ORDER BY id DESC LIMIT ?",
        (peer, peer, limit),
    )
    return [Incident(**dict(row)) for row in rows]
