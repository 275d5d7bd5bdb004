"""The transfer log (Protokollfunktion): which data went where, for what purpose.

Every delivery attempt that reaches a result writes one ``TransferLogEntry``:
the service (LeiKa), the municipality (AGS), the receiver, the purpose, the
*names* of the structured data fields and the documents' IDs, types, sizes and
checksums. Never values, file names or other personal data: the entry is built
only through ``entry_for``, which reads nothing else from the submission.
Writers are pluggable; ``JsonLinesTransferLog`` appends fsynced JSON lines, the
marketplace stores entries in its database for the municipality's view and export.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal, Protocol

import msgspec

from connectors.results import Deferred, Delivered, DeliveryResult, Rejected
from connectors.submission import Submission

# "purged": the marketplace deleted a delivered submission's documents after
# their retention (marketplace.documents); the entry names them, as always.
Outcome = Literal["delivered", "deferred", "rejected", "purged"]


class DocumentRecord(msgspec.Struct, kw_only=True, frozen=True):
    document_id: str
    media_type: str
    size: int
    sha256: str


class TransferLogEntry(msgspec.Struct, kw_only=True, frozen=True):
    entry_id: str
    at: datetime
    submission_id: str
    municipality_ags: str
    service_leika: str
    purpose: str
    receiver: str
    connector: str
    environment: Literal["test", "production"]
    channel: str
    identification_level: str
    data_fields: tuple[str, ...]
    documents: tuple[DocumentRecord, ...]
    outcome: Outcome
    receipt_reference: str = ""
    reason: str = ""


class TransferLogWriter(Protocol):
    async def write(self, entry: TransferLogEntry) -> None: ...


def entry_for(
    submission: Submission,
    result: DeliveryResult,
    *,
    receiver: str,
    connector: str,
    purpose: str,
    at: datetime | None = None,
) -> TransferLogEntry:
    """The log entry for one result; ``receiver`` is a route name, not a URL with secrets."""
    match result:
        case Delivered(receipt=receipt):
            outcome: Outcome = "delivered"
            reference, reason = receipt.reference, ""
        case Deferred(reason=reason):
            outcome, reference = "deferred", ""
        case Rejected(reason=reason):
            outcome, reference = "rejected", ""
    meta = submission.metadata
    return TransferLogEntry(
        entry_id=str(uuid.uuid4()),
        at=at or datetime.now(UTC),
        submission_id=submission.submission_id,
        municipality_ags=meta.ags,
        service_leika=meta.leika,
        purpose=purpose,
        receiver=receiver,
        connector=connector,
        environment="test" if submission.test else "production",
        channel=meta.channel,
        identification_level=meta.identification_level,
        data_fields=submission.data_fields(),
        documents=tuple(
            DocumentRecord(
                document_id=d.document_id,
                media_type=d.media_type,
                size=d.size,
                sha256=d.sha256,
            )
            for d in submission.documents
        ),
        outcome=outcome,
        receipt_reference=reference,
        reason=reason,
    )


class JsonLinesTransferLog:
    """Appends one JSON line per entry and fsyncs, so an entry survives a crash."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = asyncio.Lock()

    async def write(self, entry: TransferLogEntry) -> None:
        line = msgspec.json.encode(entry) + b"\n"
        async with self._lock:
            await asyncio.to_thread(self._append, line)

    def _append(self, line: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("ab") as handle:
            handle.write(line)
            handle.flush()
            os.fsync(handle.fileno())

    def read(self) -> list[TransferLogEntry]:
        if not self.path.exists():
            return []
        decoder = msgspec.json.Decoder(TransferLogEntry)
        return [
            decoder.decode(line) for line in self.path.read_bytes().splitlines() if line
        ]
