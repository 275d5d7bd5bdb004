"""A receiver's durable inbox: one row per idempotency key, plus counters.

The inbox is what the fault tests count. ``accept`` inserts the key once; a
second delivery of the key increments ``copies`` and answers the first receipt
with ``duplicate`` set, so "exactly once" means one row per key.
"""

from __future__ import annotations

import sqlite3
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import msgspec

_SCHEMA = """
CREATE TABLE IF NOT EXISTS received (
    key TEXT PRIMARY KEY,
    reference TEXT NOT NULL,
    received_at TEXT NOT NULL,
    test INTEGER NOT NULL,
    size INTEGER NOT NULL,
    summary TEXT NOT NULL,
    copies INTEGER NOT NULL DEFAULT 1
);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


class Ack(msgspec.Struct, kw_only=True, frozen=True):
    reference: str
    received_at: datetime
    duplicate: bool = False


class Entry(msgspec.Struct, kw_only=True, frozen=True):
    key: str
    reference: str
    received_at: datetime
    test: bool
    size: int
    summary: str
    copies: int


class Stats(msgspec.Struct, kw_only=True, frozen=True):
    received: int
    copies: int
    counters: dict[str, int]


class Inbox:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None
        )
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def accept(self, key: str, *, test: bool, size: int, summary: str) -> Ack:
        now = datetime.now(UTC)
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            row = self._conn.execute(
                "SELECT reference, received_at FROM received WHERE key = ?", (key,)
            ).fetchone()
            if row is None:
                reference = str(uuid.uuid4())
                self._conn.execute(
                    "INSERT INTO received (key, reference, received_at, test, size, summary)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (key, reference, now.isoformat(), int(test), size, summary),
                )
            else:
                self._conn.execute(
                    "UPDATE received SET copies = copies + 1 WHERE key = ?", (key,)
                )
            self._conn.execute("COMMIT")
        if row is None:
            return Ack(reference=reference, received_at=now)
        return Ack(
            reference=row[0], received_at=datetime.fromisoformat(row[1]), duplicate=True
        )

    def find(self, key: str) -> Entry | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT key, reference, received_at, test, size, summary, copies"
                " FROM received WHERE key = ?",
                (key,),
            ).fetchone()
        return None if row is None else _entry(row)

    def count(self, name: str) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO counters (name, value) VALUES (?, 1)"
                " ON CONFLICT (name) DO UPDATE SET value = value + 1",
                (name,),
            )

    def entries(self, limit: int = 1000) -> list[Entry]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT key, reference, received_at, test, size, summary, copies"
                " FROM received ORDER BY received_at DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [_entry(row) for row in rows]

    def stats(self) -> Stats:
        with self._lock:
            received, copies = self._conn.execute(
                "SELECT COUNT(*), COALESCE(SUM(copies), 0) FROM received"
            ).fetchone()
            counters = dict(
                self._conn.execute("SELECT name, value FROM counters").fetchall()
            )
        return Stats(received=received, copies=copies, counters=counters)

    def close(self) -> None:
        self._conn.close()


def _entry(row: tuple[str, str, str, int, int, str, int]) -> Entry:
    return Entry(
        key=row[0],
        reference=row[1],
        received_at=datetime.fromisoformat(row[2]),
        test=bool(row[3]),
        size=row[4],
        summary=row[5],
        copies=row[6],
    )
