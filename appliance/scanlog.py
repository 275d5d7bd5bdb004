"""The appliance's hash-chained, append-only scan log (one JSON line per event).

Each entry carries the SHA-256 of the previous entry, so removing, reordering or
editing a line breaks the chain from there on; ``verify_chain`` says where. Writers
take an exclusive ``flock`` and ``fsync`` every line, so several processes (the
pipeline and the station) can append safely and an entry is durable once written.
"""

from __future__ import annotations

import fcntl
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgspec

from appliance.errors import IntegrityError
from appliance.integrity import sha256_bytes

GENESIS = "0" * 64


class LogEntry(msgspec.Struct, kw_only=True, frozen=True):
    seq: int
    time: str
    kind: str  # page_captured | input_rejected | scanner_stop | document_written |
    # page_redacted (capture hash and hash of the redacted image)
    batch_id: str
    data: dict[str, Any]
    prev: str
    hash: str = ""


def _digest(entry: LogEntry) -> str:
    body = msgspec.structs.replace(entry, hash="")
    return sha256_bytes(msgspec.json.encode(body, order="sorted"))


class ScanLog:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)

    def append(self, kind: str, batch_id: str, data: dict[str, Any]) -> LogEntry:
        """Append one event and return it with its chain hash."""
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o640)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            seq, prev = _tail(fd)
            entry = LogEntry(
                seq=seq + 1,
                time=datetime.now(UTC).isoformat(timespec="milliseconds"),
                kind=kind,
                batch_id=batch_id,
                data=data,
                prev=prev,
            )
            entry = msgspec.structs.replace(entry, hash=_digest(entry))
            os.write(fd, msgspec.json.encode(entry) + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)  # also releases the lock
        return entry

    def head(self) -> str:
        """The hash of the last entry (the genesis value for an empty log)."""
        if not self.path.exists():
            return GENESIS
        fd = os.open(self.path, os.O_RDONLY)
        try:
            return _tail(fd)[1]
        finally:
            os.close(fd)

    def entries(self) -> list[LogEntry]:
        if not self.path.exists():
            return []
        lines = self.path.read_bytes().splitlines()
        return [msgspec.json.decode(line, type=LogEntry) for line in lines if line]


def _tail(fd: int) -> tuple[int, str]:
    size = os.lseek(fd, 0, os.SEEK_END)
    if size == 0:
        return 0, GENESIS
    block = min(size, 65536)
    os.lseek(fd, size - block, os.SEEK_SET)
    lines = os.read(fd, block).splitlines()
    last = msgspec.json.decode(lines[-1], type=LogEntry)
    return last.seq, last.hash


def verify_chain(path: Path) -> list[str]:
    """German descriptions of every break in the chain; empty when intact."""
    problems: list[str] = []
    prev, seq = GENESIS, 0
    try:
        entries = ScanLog(path).entries()
    except msgspec.DecodeError as exc:
        raise IntegrityError(f"Das Scanprotokoll {path} ist unlesbar: {exc}") from exc
    for entry in entries:
        if entry.seq != seq + 1:
            problems.append(f"Eintrag {entry.seq}: erwartet war Nummer {seq + 1}.")
        if entry.prev != prev:
            problems.append(f"Eintrag {entry.seq}: Verkettung mit dem Vorgänger fehlt.")
        if _digest(entry) != entry.hash:
            problems.append(f"Eintrag {entry.seq}: Inhalt wurde verändert.")
        prev, seq = entry.hash, entry.seq
    return problems
