"""The transfer log: one entry for every attribute the appliance passes on.

It answers the citizen's question "who received what, when, and why" (seed 000:
Protokollfunktion; GDPR Art. 15) without holding the data itself: an entry names
the attribute, never its value. The file is append-only JSON Lines, flushed and
fsync'ed per write, so a power cut loses no entry that was reported as written.

The connectors write the same kind of log for deliveries; ``TransferLog`` is the
seam where the appliance's writer can be replaced by theirs.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Protocol

import msgspec


class TransferLogEntry(msgspec.Struct, kw_only=True, frozen=True):
    """One attribute of one identified person passed to one recipient."""

    at: datetime
    submission_id: str
    batch_id: str
    attribute: str
    recipient: str
    purpose: str
    legal_basis: str
    source: str = "appliance-eid"


class TransferLog(Protocol):
    """Where transfer-log entries go. ``record`` either writes all or raises."""

    def record(self, entries: Iterable[TransferLogEntry]) -> None: ...


class JsonlTransferLog:
    """Append-only JSON Lines file; one line per entry."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._encoder = msgspec.json.Encoder()

    def record(self, entries: Iterable[TransferLogEntry]) -> None:
        lines = b"".join(self._encoder.encode(e) + b"\n" for e in entries)
        if not lines:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path.open("ab") as handle:
            handle.write(lines)
            handle.flush()
            os.fsync(handle.fileno())

    def entries(self) -> Iterator[TransferLogEntry]:
        """Every entry, oldest first (for the citizen's request and for tests)."""
        if not self.path.exists():
            return
        decoder = msgspec.json.Decoder(TransferLogEntry)
        with self.path.open("rb") as handle:
            for line in handle:
                if line.strip():
                    yield decoder.decode(line)
