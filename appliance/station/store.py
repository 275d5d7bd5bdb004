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
from appliance.station import schema


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
    operator: str = ""
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
            schema.create(conn)

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

    def add_batch(
        self, batch_id: str, profile: str, source: str, operator: str = ""
    ) -> None:
        self.execute(
            "INSERT INTO batches (id, profile, source, state, operator, started_at)"
            " VALUES (?, ?, ?, 'running', ?, ?)",
            (batch_id, profile, source, operator, now()),
        )

    def pause_batch(self, batch_id: str, *, message: str, pages: int) -> None:
        """The scanner stopped or waits for the next sheet; pages stay captured."""
        self.execute(
            "UPDATE batches SET state = 'paused', message = ?, pages_captured = ?"
            " WHERE id = ? AND state = 'running'",
            (message, pages, batch_id),
        )

    def claim_paused(self, batch_id: str) -> bool:
        """A paused batch runs again; ``False`` if it was not paused."""
        return (
            self.execute(
                "UPDATE batches SET state = 'running', message = '' WHERE id = ?"
                " AND state = 'paused'",
                (batch_id,),
            )
            == 1
        )

    def add_captured(self, batch_id: str, pages: list[Page]) -> None:
        with self._connect() as conn:
            conn.executemany(
                "INSERT INTO captured (batch_id, number, page) VALUES (?, ?, ?)",
                [(batch_id, p.number, msgspec.json.encode(p).decode()) for p in pages],
            )

    def captured(self, batch_id: str) -> list[Page]:
        """The pages scanned so far for a scanner batch, in page order."""
        rows = self._query(
            "SELECT page FROM captured WHERE batch_id = ? ORDER BY number",
            (batch_id,),
        )
        return [msgspec.json.decode(row["page"], type=Page) for row in rows]

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
        """Batches left running by a crash: a scanner batch that has no documents
        yet waits to go on (its pages are recorded); any other is marked failed,
        its pages kept."""
        self.execute(
            "UPDATE batches SET state = 'paused', pages_captured = (SELECT count(*)"
            " FROM captured c WHERE c.batch_id = batches.id), message ="
            " 'Unterbrochen (Neustart der Station). Bitte weiter scannen oder den"
            " Stapel abschließen.' WHERE state = 'running' AND source = 'scanner'"
            " AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.batch_id = batches.id)"
        )
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

    def pages_sent_from_interrupted(self) -> dict[str, str]:
        """Capture hash -> batch of each page already committed from a batch that
        was interrupted: a later batch reads the same input files again."""
        rows = self._query(
            "SELECT json_extract(p.value, '$.raw_sha256') AS raw, d.batch_id"
            " FROM documents d JOIN batches b ON b.id = d.batch_id,"
            " json_each(d.pages) p WHERE d.state = 'committed' AND b.state = 'failed'"
        )
        return {str(row["raw"]): str(row["batch_id"]) for row in rows}

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
