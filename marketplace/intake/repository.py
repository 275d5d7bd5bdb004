"""SQL for received documents."""

from __future__ import annotations

import msgspec

from marketplace.db import Connection, Row
from marketplace.intake.schemas import DocumentMetadata, Receipt, StoredDocument

_COLUMNS = (
    "receipt_id, sha256, municipality_ags, size_bytes, received_at, deliveries,"
    " metadata"
)


def _receipt(row: Row, *, duplicate: bool = False) -> Receipt:
    return Receipt(
        receipt_id=row["receipt_id"],
        sha256=row["sha256"],
        municipality_ags=row["municipality_ags"],
        size_bytes=row["size_bytes"],
        received_at=row["received_at"],
        deliveries=row["deliveries"],
        duplicate=duplicate,
    )


async def find(conn: Connection, ags: str, sha256: str) -> Receipt | None:
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM intake_documents"
        " WHERE municipality_ags = ? AND sha256 = ?",
        (ags, sha256),
    ) as cur:
        row = await cur.fetchone()
    return _receipt(row) if row else None


async def count_delivery(
    conn: Connection, ags: str, sha256: str, now: str
) -> Receipt | None:
    """Record one more delivery of a stored document; ``None`` if it is new."""
    await conn.execute(
        "UPDATE intake_documents SET deliveries = deliveries + 1, last_delivery_at = ?"
        " WHERE municipality_ags = ? AND sha256 = ?",
        (now, ags, sha256),
    )
    found = await find(conn, ags, sha256)
    return msgspec.structs.replace(found, duplicate=True) if found else None


async def insert(
    conn: Connection,
    *,
    ags: str,
    sha256: str,
    receipt_id: str,
    size_bytes: int,
    storage_path: str,
    metadata: DocumentMetadata,
    sender_user_id: int | None,
    sender_appliance_id: int | None,
    now: str,
) -> Receipt:
    await conn.execute(
        "INSERT INTO intake_documents (municipality_ags, sha256, receipt_id,"
        " size_bytes, storage_path, appliance_id, filename, office, route, leika_key,"
        " page_count, keep_original, id_copy, metadata, sender_user_id,"
        " sender_appliance_id, received_at, last_delivery_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            ags,
            sha256,
            receipt_id,
            size_bytes,
            storage_path,
            metadata.appliance_id,
            metadata.filename,
            metadata.office,
            metadata.route,
            metadata.leika_key,
            metadata.page_count,
            int(metadata.keep_original),
            int(metadata.id_copy),
            msgspec.json.encode(metadata).decode(),
            sender_user_id,
            sender_appliance_id,
            now,
            now,
        ),
    )
    found = await find(conn, ags, sha256)
    assert found is not None
    return found


async def listing(conn: Connection, ags: str, limit: int) -> list[StoredDocument]:
    async with conn.execute(
        f"SELECT {_COLUMNS} FROM intake_documents WHERE municipality_ags = ?"
        " ORDER BY received_at DESC, sha256 LIMIT ?",
        (ags, limit),
    ) as cur:
        rows = await cur.fetchall()
    return [
        StoredDocument(
            receipt_id=row["receipt_id"],
            sha256=row["sha256"],
            size_bytes=row["size_bytes"],
            received_at=row["received_at"],
            deliveries=row["deliveries"],
            metadata=msgspec.json.decode(row["metadata"], type=DocumentMetadata),
        )
        for row in rows
    ]
