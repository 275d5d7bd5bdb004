"""The station's own state: batches and the documents a person may still change.

A SQLite file (WAL) in the station's data folder. A document is ``open`` until a
person (or, for confident decisions, the station) commits it to the outbox; then
it is ``committed`` and can no longer be edited. ``deleted`` documents keep their
row so that the page count of a batch still adds up.
"""

from __future__ import annotations

import enum
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from appliance.model import RoutingDecision
from appliance.pages import Page

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    id TEXT PRIMARY KEY,
    profile TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('folder', 'scanner')),
    state TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
    stage TEXT NOT NULL DEFAULT '',
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    pages_captured INTEGER NOT NULL DEFAULT 0,
    started_at TEXT NOT NULL,
    finished_at TEXT
);
CREATE TABLE IF NOT EXISTS documents (
    id INTEGER PRIMARY KEY,
    batch_id TEXT NOT NULL REFERENCES batches (id),
    position INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('open', 'committed', 'deleted')),
    decision TEXT NOT NULL,
    office TEXT,
    text TEXT NOT NULL DEFAULT '',
    pdf_path TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    pages TEXT NOT NULL,
    note TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);
"""


class DocState(enum.StrEnum):
    OPEN = "open"
    COMMITTED = "committed"
    DELETED = "deleted"


class Batch(msgspec.Struct, kw_only=True, frozen=True):
    id: str
    profile: str
    source: str
    state: str
    stage: str
    done: int
    total: int
    message: str
    pages_captured: int
    started_at: str
    finished_at: str | None


class StationDocument(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    batch_id: str
    position: int
    state: DocState
    decision: RoutingDecision
    office: str | None  # the office a person chose; ``None``: the decision's
    text: str
    pdf_path: str
    sha256: str
    pages: list[Page]
    note: str

    @property
    def chosen_office(self) -> str | None:
        return self.office or self.decision.office


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class StationStore:
    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.executescript(_SCHEMA)

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(self.path, isolation_level=None)
        try:
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA busy_timeout = 10000")
            yield conn
        finally:
            conn.close()

    def execute(self, sql: str, params: tuple[object, ...] = ()) -> int:
        with self._connect() as conn:
            cursor = conn.execute(sql, params)
            return cursor.lastrowid or cursor.rowcount

    # Batches ------------------------------------------------------------------------

    def add_batch(self, batch_id: str, profile: str, source: str) -> None:
        self.execute(
            "INSERT INTO batches (id, profile, source, state, started_at)"
            " VALUES (?, ?, ?, 'running', ?)",
            (batch_id, profile, source, now()),
        )

    def progress(self, batch_id: str, stage: str, done: int, total: int) -> None:
        self.execute(
            "UPDATE batches SET stage = ?, done = ?, total = ? WHERE id = ?",
            (stage, done, total, batch_id),
        )

    def finish_batch(
        self, batch_id: str, *, state: str, message: str, pages: int
    ) -> None:
        self.execute(
            "UPDATE batches SET state = ?, message = ?, pages_captured = ?,"
            " finished_at = ? WHERE id = ?",
            (state, message, pages, now(), batch_id),
        )

    def batch(self, batch_id: str) -> Batch | None:
        rows = self._query("SELECT * FROM batches WHERE id = ?", (batch_id,))
        return msgspec.convert(dict(rows[0]), Batch) if rows else None

    def batches(self, limit: int = 20) -> list[Batch]:
        rows = self._query(
            "SELECT * FROM batches ORDER BY started_at DESC, rowid DESC LIMIT ?",
            (limit,),
        )
        return [msgspec.convert(dict(row), Batch) for row in rows]

    def running(self) -> Batch | None:
        rows = self._query("SELECT * FROM batches WHERE state = 'running' LIMIT 1")
        return msgspec.convert(dict(rows[0]), Batch) if rows else None

    def fail_interrupted(self) -> None:
        """Batches left running by a crash: marked failed, their pages kept."""
        self.execute(
            "UPDATE batches SET state = 'failed', finished_at = ?, message ="
            " 'Unterbrochen (Neustart der Station). Die Dateien liegen weiter im"
            " Eingangsordner; bitte den Stapel neu starten.'"
            " WHERE state = 'running'",
            (now(),),
        )

    # Documents ------------------------------------------------------------------------

    def add_document(
        self,
        *,
        batch_id: str,
        position: int,
        decision: RoutingDecision,
        text: str,
        pdf_path: str,
        sha256: str,
        pages: list[Page],
    ) -> int:
        return self.execute(
            "INSERT INTO documents (batch_id, position, state, decision, text,"
            " pdf_path, sha256, pages, updated_at) VALUES (?, ?, 'open', ?, ?, ?, ?, ?, ?)",
            (
                batch_id,
                position,
                msgspec.json.encode(decision).decode(),
                text,
                pdf_path,
                sha256,
                msgspec.json.encode(pages).decode(),
                now(),
            ),
        )

    def replace_content(
        self,
        doc_id: int,
        *,
        decision: RoutingDecision,
        text: str,
        pdf_path: str,
        sha256: str,
        pages: list[Page],
    ) -> None:
        self.execute(
            "UPDATE documents SET decision = ?, text = ?, pdf_path = ?, sha256 = ?,"
            " pages = ?, updated_at = ? WHERE id = ? AND state = 'open'",
            (
                msgspec.json.encode(decision).decode(),
                text,
                pdf_path,
                sha256,
                msgspec.json.encode(pages).decode(),
                now(),
                doc_id,
            ),
        )

    def set_state(self, doc_id: int, state: DocState, note: str = "") -> None:
        self.execute(
            "UPDATE documents SET state = ?, note = ?, updated_at = ? WHERE id = ?",
            (state.value, note, now(), doc_id),
        )

    def set_office(self, doc_id: int, office: str) -> None:
        self.execute(
            "UPDATE documents SET office = ?, updated_at = ? WHERE id = ?"
            " AND state = 'open'",
            (office, now(), doc_id),
        )

    def shift_positions(self, batch_id: str, after: int, by: int) -> None:
        self.execute(
            "UPDATE documents SET position = position + ? WHERE batch_id = ?"
            " AND position > ?",
            (by, batch_id, after),
        )

    def document(self, doc_id: int) -> StationDocument | None:
        rows = self._query("SELECT * FROM documents WHERE id = ?", (doc_id,))
        return _document(rows[0]) if rows else None

    def documents(
        self, *, batch_id: str | None = None, state: DocState | None = None
    ) -> list[StationDocument]:
        rows = self._query(
            "SELECT * FROM documents WHERE (?1 IS NULL OR batch_id = ?1)"
            " AND (?2 IS NULL OR state = ?2) ORDER BY batch_id, position, id",
            (batch_id, state.value if state else None),
        )
        return [_document(row) for row in rows]

    def _query(self, sql: str, params: tuple[object, ...] = ()) -> list[sqlite3.Row]:
        with self._connect() as conn:
            return conn.execute(sql, params).fetchall()


def _document(row: sqlite3.Row) -> StationDocument:
    return StationDocument(
        id=row["id"],
        batch_id=row["batch_id"],
        position=row["position"],
        state=DocState(row["state"]),
        decision=msgspec.json.decode(row["decision"], type=RoutingDecision),
        office=row["office"],
        text=row["text"],
        pdf_path=row["pdf_path"],
        sha256=row["sha256"],
        pages=msgspec.json.decode(row["pages"], type=list[Page]),
        note=row["note"],
    )
