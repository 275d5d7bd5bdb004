"""The durable outbox: a SQLite file (WAL) and a folder of PDF files.

``commit`` returns only when the document is safe: its bytes copied and flushed to
disk under their SHA-256, then its row committed with ``synchronous = FULL``. Only
then may the operator be told "fertig" and the source be removed. A crash before
that leaves the source untouched (and at most an orphan file that the next commit
of the same document reuses); a full disk raises ``OutboxFull`` and leaves nothing
behind. Each call opens its own connection, so the station's web threads and a
separate delivery process can share one outbox.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from appliance.outbox.schemas import (
    DocumentMetadata,
    Entry,
    OutboxError,
    OutboxFull,
    State,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    sha256 TEXT PRIMARY KEY,
    file TEXT NOT NULL,
    metadata TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error TEXT NOT NULL DEFAULT '',
    committed_at TEXT NOT NULL,
    delivered_at TEXT,
    receipt_id TEXT
);
CREATE INDEX IF NOT EXISTS documents_due ON documents (state, next_attempt_at);
"""
_FULL_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_CHUNK = 1024 * 1024
# SQLite reports a full disk on some file systems (tmpfs) only as an I/O error.
_NEARLY_FULL = 1024 * 1024


def _stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Outbox:
    """The outbox in ``folder``: ``outbox.sqlite3`` and ``documents/<sha256>.pdf``."""

    def __init__(
        self,
        folder: Path,
        *,
        reserve_bytes: int = 0,
        clock: Callable[[], float] = time.time,
    ):
        self.folder = folder
        self.reserve_bytes = reserve_bytes
        self.documents = folder / "documents"
        self.clock = clock
        self.documents.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.executescript(_SCHEMA)
        # Copies interrupted by a crash; an hour is far longer than any copy takes.
        for stale in self.documents.glob(".*.tmp"):
            with suppress(FileNotFoundError):
                if stale.stat().st_mtime < time.time() - 3600:
                    stale.unlink()

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.folder / "outbox.sqlite3", isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout = 10000")
            conn.execute("PRAGMA synchronous = FULL")
            yield conn
        finally:
            conn.close()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    # Taking documents in ----------------------------------------------------------

    def commit(self, pdf: Path, metadata: DocumentMetadata) -> Entry:
        """Copy ``pdf`` into the outbox durably and record it; idempotent by hash.

        A document is refused while taking it would leave less than
        ``reserve_bytes`` free: the reserve keeps room for the bookkeeping of
        deliveries, so a full outbox can always drain.
        """
        try:
            if _free_bytes(self.folder) - pdf.stat().st_size < self.reserve_bytes:
                raise OutboxFull(_full_message(pdf))
            sha256, target = self._copy(pdf)
        except OSError as exc:
            if exc.errno in _FULL_ERRNOS:
                raise OutboxFull(_full_message(pdf)) from exc
            raise OutboxError(
                f"{pdf.name} konnte nicht in den Postausgang übernommen werden: {exc}"
            ) from exc
        try:
            self._record(sha256, target, metadata)
        except sqlite3.OperationalError as exc:
            self._drop_orphan(sha256, target)
            if "full" in str(exc) or _free_bytes(self.folder) < _NEARLY_FULL:
                raise OutboxFull(_full_message(pdf)) from exc
            raise OutboxError(
                f"{pdf.name} konnte nicht in den Postausgang übernommen werden: {exc}"
            ) from exc
        found = self.get(sha256)
        assert found is not None
        return found

    def _drop_orphan(self, sha256: str, target: Path) -> None:
        """Remove a copy whose row was not written, to give the space back."""
        try:
            known = self.get(sha256) is not None
        except sqlite3.Error:
            return  # cannot tell; a later commit of the same document reuses it
        if not known:
            target.unlink(missing_ok=True)

    def _record(self, sha256: str, target: Path, metadata: DocumentMetadata) -> None:
        with self._transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO documents (sha256, file, metadata, state,"
                " next_attempt_at, committed_at) VALUES (?, ?, ?, 'pending', ?, ?)",
                (
                    sha256,
                    target.name,
                    msgspec.json.encode(metadata).decode(),
                    self.clock(),
                    _stamp(),
                ),
            )

    def _copy(self, pdf: Path) -> tuple[str, Path]:
        digest = hashlib.sha256()
        tmp = self.documents / f".{secrets.token_hex(8)}.tmp"
        try:
            with pdf.open("rb") as source, tmp.open("wb") as sink:
                while chunk := source.read(_CHUNK):
                    digest.update(chunk)
                    sink.write(chunk)
                sink.flush()
                os.fsync(sink.fileno())
            target = self.documents / f"{digest.hexdigest()}.pdf"
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)
        _fsync_dir(self.documents)
        return digest.hexdigest(), target

    # Reading ----------------------------------------------------------------------

    def get(self, sha256: str) -> Entry | None:
        with self._connect() as conn:
            row = conn.execute(
                "SELECT * FROM documents WHERE sha256 = ?", (sha256,)
            ).fetchone()
        return _entry(row) if row else None

    def entries(self, state: State | None = None, limit: int = 500) -> list[Entry]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT * FROM documents WHERE ?1 IS NULL OR state = ?1"
                " ORDER BY committed_at DESC, sha256 LIMIT ?2",
                (state.value if state else None, limit),
            ).fetchall()
        return [_entry(row) for row in rows]

    def counts(self) -> dict[State, int]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT state, COUNT(*) FROM documents GROUP BY state"
            ).fetchall()
        found = {State(state): n for state, n in rows}
        return {state: found.get(state, 0) for state in State}

    def path(self, entry: Entry) -> Path:
        return self.documents / entry.file

    # Delivery bookkeeping -----------------------------------------------------------

    def claim_due(
        self, limit: int, lease_seconds: float, horizon: float = float("inf")
    ) -> list[Entry]:
        """Pending documents whose time has come, each leased to this caller.

        The lease moves ``next_attempt_at`` forward so that a second deliverer does
        not send the same document at the same time; if this one dies, the lease
        runs out and the document is due again. A document scheduled more than
        ``horizon`` seconds ahead (longer than any backoff or lease) was scheduled
        before the wall clock was set back, and is due now.
        """
        now = self.clock()
        claimed: list[Entry] = []
        with self._transaction() as conn:
            rows = conn.execute(
                "SELECT * FROM documents WHERE state = 'pending'"
                " AND (next_attempt_at <= ? OR next_attempt_at > ?)"
                " ORDER BY next_attempt_at LIMIT ?",
                (now, now + horizon, limit),
            ).fetchall()
            for row in rows:
                conn.execute(
                    "UPDATE documents SET next_attempt_at = ? WHERE sha256 = ?",
                    (now + lease_seconds, row["sha256"]),
                )
                claimed.append(_entry(row))
        return claimed

    def next_due_in(self) -> float | None:
        """Seconds until the next pending document is due; ``None`` if none pend."""
        with self._connect() as conn:
            row = conn.execute(
                "SELECT MIN(next_attempt_at) FROM documents WHERE state = 'pending'"
            ).fetchone()
        return None if row[0] is None else max(0.0, row[0] - self.clock())

    def mark_delivered(self, sha256: str, receipt_id: str) -> None:
        with self._transaction() as conn:
            conn.execute(
                "UPDATE documents SET state = 'delivered', delivered_at = ?,"
                " receipt_id = ?, attempts = attempts + 1, last_error = ''"
                " WHERE sha256 = ?",
                (_stamp(), receipt_id, sha256),
            )

    def mark_failed(self, sha256: str, reason: str, retry_in: float | None) -> None:
        """Count a failed attempt; ``retry_in=None`` makes it a dead letter."""
        state = State.DEAD if retry_in is None else State.PENDING
        due = self.clock() + (retry_in or 0.0)
        with self._transaction() as conn:
            conn.execute(
                "UPDATE documents SET state = ?, attempts = attempts + 1,"
                " last_error = ?, next_attempt_at = ? WHERE sha256 = ?"
                " AND state = 'pending'",
                (state.value, reason, due, sha256),
            )

    def purge_delivered(self) -> int:
        """Remove the files of delivered documents (the marketplace holds them and
        the receipt is kept); returns how many files were removed."""
        removed = 0
        for entry in self.entries(State.DELIVERED, limit=1_000_000):
            with suppress(FileNotFoundError):
                self.path(entry).unlink()
                removed += 1
        if removed:
            _fsync_dir(self.documents)
        return removed

    def retry(self, sha256: str) -> bool:
        """Put a dead letter back in line, due now; ``False`` if it is no dead letter."""
        with self._transaction() as conn:
            cursor = conn.execute(
                "UPDATE documents SET state = 'pending', attempts = 0,"
                " next_attempt_at = ? WHERE sha256 = ? AND state = 'dead'",
                (self.clock(), sha256),
            )
        return cursor.rowcount == 1


def _entry(row: sqlite3.Row) -> Entry:
    return Entry(
        sha256=row["sha256"],
        file=row["file"],
        metadata=msgspec.json.decode(row["metadata"], type=DocumentMetadata),
        state=State(row["state"]),
        attempts=row["attempts"],
        next_attempt_at=row["next_attempt_at"],
        last_error=row["last_error"],
        committed_at=row["committed_at"],
        delivered_at=row["delivered_at"],
        receipt_id=row["receipt_id"],
    )


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _free_bytes(folder: Path) -> int:
    stat = os.statvfs(folder)
    return stat.f_bavail * stat.f_frsize


def _full_message(pdf: Path) -> str:
    return (
        f"Der Speicher des Postausgangs ist voll: {pdf.name} wurde nicht übernommen "
        "und bleibt erhalten. Bitte Platz schaffen und erneut übernehmen."
    )
