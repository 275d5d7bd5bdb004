"""SQL of retention: which bodies no submission needs any more, which keys rows
refer to, and the records a purge leaves (the only SQL of ``documents``).

A submission is *settled* when it is queued (no "nicht zustellbar" reason), has
outbox rows, and every one of them is delivered, the last one at or before the
cutoff. Pending, in-flight and dead rows are never settled: their bodies stay.
A key may go when every submission that still refers to it is settled.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from marketplace.db import Connection
from marketplace.delivery.schemas import DocumentRef


def _settled(s: str) -> str:
    return (
        f"{s}.undeliverable_reason IS NULL"
        f" AND EXISTS (SELECT 1 FROM delivery_outbox o WHERE o.submission_id = {s}.id)"
        " AND NOT EXISTS (SELECT 1 FROM delivery_outbox o"
        f"  WHERE o.submission_id = {s}.id AND (o.state <> 'delivered'"
        "   OR o.finished_at IS NULL OR o.finished_at > :cutoff))"
    )


_NEEDED = (
    "EXISTS (SELECT 1 FROM delivery_documents n"
    " JOIN delivery_submissions t ON t.id = n.submission_id"
    " WHERE n.location = d.location AND n.body_purged_at IS NULL"
    f" AND NOT ({_settled('t')}))"
)
_SETTLED_DOCUMENTS = (
    "FROM delivery_documents d JOIN delivery_submissions s ON s.id = d.submission_id"
    f" WHERE d.body_purged_at IS NULL AND {_settled('s')}"
)


async def insert_documents(
    conn: Connection, submission_id: str, documents: Iterable[DocumentRef]
) -> None:
    """The keys a new submission refers to (enqueue, in its transaction)."""
    for ref in documents:
        await conn.execute(
            "INSERT OR IGNORE INTO delivery_documents (submission_id, location,"
            " sha256, size_bytes) VALUES (?, ?, ?, ?)",
            (submission_id, ref.location, ref.sha256, ref.size),
        )


async def releasable(
    conn: Connection, cutoff: float, limit: int
) -> list[tuple[str, int]]:
    """(key, size) of bodies that only settled submissions refer to."""
    query = (
        f"SELECT d.location, MAX(d.size_bytes) {_SETTLED_DOCUMENTS}"
        f" AND NOT {_NEEDED} GROUP BY d.location ORDER BY d.location LIMIT :limit"
    )
    async with conn.execute(query, {"cutoff": cutoff, "limit": limit}) as cur:
        return [(str(r[0]), int(r[1])) for r in await cur.fetchall()]


async def still_needed(conn: Connection, cutoff: float) -> int:
    """Keys of settled submissions kept because another submission needs them."""
    query = f"SELECT COUNT(DISTINCT d.location) {_SETTLED_DOCUMENTS} AND {_NEEDED}"
    async with conn.execute(query, {"cutoff": cutoff}) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def mark_purged(conn: Connection, keys: Sequence[str], now: float) -> list[str]:
    """Record that ``keys`` are gone; the ids of the submissions concerned."""
    async with conn.execute(
        "UPDATE delivery_documents SET body_purged_at = :now"
        " WHERE location IN (SELECT value FROM json_each(:keys))"
        " AND body_purged_at IS NULL RETURNING submission_id",
        {"now": now, "keys": json.dumps(list(keys))},
    ) as cur:
        submissions = sorted({str(r[0]) for r in await cur.fetchall()})
    await conn.execute(
        "UPDATE delivery_submissions SET body_purged_at = :now"
        " WHERE id IN (SELECT value FROM json_each(:ids)) AND body_purged_at IS NULL",
        {"now": now, "ids": json.dumps(submissions)},
    )
    return submissions


async def mark_intake_purged(
    conn: Connection, ags: str, sha256: str, now: float
) -> None:
    await conn.execute(
        "UPDATE intake_documents SET body_purged_at = ?"
        " WHERE municipality_ags = ? AND sha256 = ? AND body_purged_at IS NULL",
        (now, ags, sha256),
    )


async def record_deletion(
    conn: Connection, key: str, reason: str, size: int, now: float
) -> None:
    await conn.execute(
        "INSERT INTO document_deletions (location, reason, size_bytes, at)"
        " VALUES (?, ?, ?, ?)",
        (key, reason, size, now),
    )


async def deleted_since(
    conn: Connection, keys: Sequence[str], since: float
) -> set[str]:
    """Those of ``keys`` a purge deleted at or after ``since``."""
    async with conn.execute(
        "SELECT DISTINCT location FROM document_deletions"
        " WHERE location IN (SELECT value FROM json_each(?)) AND at >= ?",
        (json.dumps(list(keys)), since),
    ) as cur:
        return {str(r[0]) for r in await cur.fetchall()}


async def referenced(
    conn: Connection, key: str, ags: str | None, sha256: str | None
) -> bool:
    """Whether a row whose body is not purged refers to ``key``: a submission's
    document (by key, or by SHA-256 for a submission document's key), or the
    intake row of a scanned letter's key."""
    async with conn.execute(
        "SELECT EXISTS (SELECT 1 FROM delivery_documents"
        "  WHERE body_purged_at IS NULL AND (location = :key"
        "   OR (:blob = 1 AND sha256 = :sha)))"
        " OR EXISTS (SELECT 1 FROM intake_documents WHERE body_purged_at IS NULL"
        "  AND municipality_ags = :ags AND sha256 = :sha)",
        {
            "key": key,
            "ags": ags or "",
            "sha": sha256 or "",
            "blob": int(ags is None and sha256 is not None),
        },
    ) as cur:
        row = await cur.fetchone()
    return bool(row and row[0])


async def purge_log_facts(conn: Connection, submission_id: str) -> dict[str, Any]:
    """What the transfer log entry of a purge repeats: the submission and the
    route of its last delivery."""
    rows = list(
        await conn.execute_fetchall(
            "SELECT s.municipality_ags, s.service_leika, s.channel, s.test,"
            " s.envelope, o.id AS outbox_id, r.name, r.kind"
            " FROM delivery_submissions s JOIN delivery_outbox o"
            " ON o.submission_id = s.id JOIN delivery_routes r ON r.id = o.route_id"
            " WHERE s.id = ? ORDER BY o.finished_at DESC, o.id DESC LIMIT 1",
            (submission_id,),
        )
    )
    return dict(rows[0]) if rows else {}


async def intake_purged_at(conn: Connection, ags: str, sha256: str) -> float | None:
    rows = list(
        await conn.execute_fetchall(
            "SELECT body_purged_at FROM intake_documents"
            " WHERE municipality_ags = ? AND sha256 = ?",
            (ags, sha256),
        )
    )
    return float(rows[0][0]) if rows and rows[0][0] is not None else None


async def document_purged_at(
    conn: Connection, submission_id: str, location: str
) -> float | None:
    rows = list(
        await conn.execute_fetchall(
            "SELECT body_purged_at FROM delivery_documents"
            " WHERE submission_id = ? AND location = ?",
            (submission_id, location),
        )
    )
    return float(rows[0][0]) if rows and rows[0][0] is not None else None
