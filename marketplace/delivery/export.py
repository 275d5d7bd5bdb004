"""The municipality's transfer log as CSV or JSON lines, streamed page by page so
that a long log never sits in memory as a whole."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

import msgspec

from marketplace.db import Database
from marketplace.delivery import repository
from marketplace.delivery.schemas import TransferLogRow

PAGE = 500
COLUMNS = (
    "id",
    "at",
    "submission_id",
    "service_leika",
    "purpose",
    "receiver",
    "connector",
    "environment",
    "channel",
    "identification_level",
    "data_fields",
    "documents",
    "outcome",
    "receipt_reference",
    "reason",
)


async def rows(db: Database, ags: str) -> AsyncIterator[list[TransferLogRow]]:
    after = 0
    while True:
        async with db.read() as conn:
            page = await repository.log_page(conn, ags, after=after, limit=PAGE)
        if not page:
            return
        yield page
        after = page[-1].id


async def jsonl(db: Database, ags: str) -> AsyncIterator[bytes]:
    async for page in rows(db, ags):
        yield b"".join(msgspec.json.encode(row) + b"\n" for row in page)


async def csv_lines(db: Database, ags: str) -> AsyncIterator[bytes]:
    yield _csv([COLUMNS])
    async for page in rows(db, ags):
        yield _csv([_cells(row) for row in page])


def _cells(row: TransferLogRow) -> tuple[str, ...]:
    documents = ";".join(
        f"{d['document_id']}:{d['media_type']}:{d['size']}:{d['sha256']}"
        for d in row.documents
    )
    values = msgspec.to_builtins(row)
    values["data_fields"] = ";".join(row.data_fields)
    values["documents"] = documents
    return tuple(_safe(str(values[name])) for name in COLUMNS)


def _safe(cell: str) -> str:
    """No spreadsheet formulas from receivers' reasons (CSV injection)."""
    return f"'{cell}" if cell[:1] in ("=", "+", "-", "@") else cell


def _csv(lines: list[tuple[str, ...]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(lines)
    return buffer.getvalue().encode()
