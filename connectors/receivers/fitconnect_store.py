"""Durable state of the FIT-Connect reference receiver: submissions, attachments, events."""

from __future__ import annotations

import json
import sqlite3
import threading
import uuid
from pathlib import Path
from typing import Any

import msgspec

_SCHEMA = """
CREATE TABLE IF NOT EXISTS submissions (
    submission_id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL UNIQUE,
    destination_id TEXT NOT NULL,
    idempotency_key TEXT UNIQUE,
    service_type TEXT NOT NULL,
    announced TEXT NOT NULL,
    status TEXT NOT NULL,
    encrypted_metadata TEXT,
    encrypted_data TEXT
);
CREATE TABLE IF NOT EXISTS attachments (
    submission_id TEXT NOT NULL,
    attachment_id TEXT NOT NULL,
    token TEXT NOT NULL,
    PRIMARY KEY (submission_id, attachment_id)
);
CREATE TABLE IF NOT EXISTS events (
    case_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    token TEXT NOT NULL,
    PRIMARY KEY (case_id, seq)
);
"""


class StoredSubmission(msgspec.Struct, kw_only=True):
    submission_id: str
    case_id: str
    destination_id: str
    idempotency_key: str | None
    service_type: dict[str, Any]
    announced: list[str]
    status: str
    encrypted_metadata: str | None
    encrypted_data: str | None


_COLUMNS = (
    "submission_id, case_id, destination_id, idempotency_key, service_type, announced,"
    " status, encrypted_metadata, encrypted_data"
)


class SubmissionStore:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None
        )
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.executescript(_SCHEMA)
        self._lock = threading.Lock()

    def create(
        self,
        destination_id: str,
        key: str | None,
        service_type: dict[str, Any],
        announced: list[str],
    ) -> tuple[StoredSubmission, bool]:
        """A new submission, or the one already announced under ``key``."""
        with self._lock:
            if key:
                existing = self._one("idempotency_key = ?", key)
                if existing is not None:
                    return existing, False
            submission_id, case_id = str(uuid.uuid4()), str(uuid.uuid4())
            self._conn.execute(
                f"INSERT INTO submissions ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, 'incomplete', NULL, NULL)",  # noqa: S608 - constant columns
                (
                    submission_id,
                    case_id,
                    destination_id,
                    key,
                    json.dumps(service_type),
                    json.dumps(announced),
                ),
            )
            created = self._one("submission_id = ?", submission_id)
        assert created is not None
        return created, True

    def _one(self, where: str, value: str) -> StoredSubmission | None:
        row = self._conn.execute(
            f"SELECT {_COLUMNS} FROM submissions WHERE {where}",  # noqa: S608 - constant fragments
            (value,),
        ).fetchone()
        if row is None:
            return None
        return StoredSubmission(
            submission_id=row[0],
            case_id=row[1],
            destination_id=row[2],
            idempotency_key=row[3],
            service_type=json.loads(row[4]),
            announced=json.loads(row[5]),
            status=row[6],
            encrypted_metadata=row[7],
            encrypted_data=row[8],
        )

    def get(self, submission_id: str) -> StoredSubmission | None:
        with self._lock:
            return self._one("submission_id = ?", submission_id)

    def by_case(self, case_id: str) -> StoredSubmission | None:
        with self._lock:
            return self._one("case_id = ?", case_id)

    def put_attachment(
        self, submission_id: str, attachment_id: str, token: str
    ) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT OR REPLACE INTO attachments VALUES (?, ?, ?)",
                (submission_id, attachment_id, token),
            )

    def attachment(self, submission_id: str, attachment_id: str) -> str | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT token FROM attachments WHERE submission_id = ? AND attachment_id = ?",
                (submission_id, attachment_id),
            ).fetchone()
        return None if row is None else str(row[0])

    def uploaded(self, submission_id: str) -> set[str]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT attachment_id FROM attachments WHERE submission_id = ?",
                (submission_id,),
            ).fetchall()
        return {row[0] for row in rows}

    def submit(self, submission_id: str, metadata: str, data: str | None) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE submissions SET status = 'submitted', encrypted_metadata = ?, encrypted_data = ?"
                " WHERE submission_id = ? AND status = 'incomplete'",
                (metadata, data, submission_id),
            )

    def set_status(self, submission_id: str, status: str) -> None:
        with self._lock:
            self._conn.execute(
                "UPDATE submissions SET status = ? WHERE submission_id = ?",
                (status, submission_id),
            )

    def pending(self, destination_id: str) -> list[StoredSubmission]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT submission_id FROM submissions WHERE destination_id = ? AND status = 'submitted'",
                (destination_id,),
            ).fetchall()
            found = [self._one("submission_id = ?", row[0]) for row in rows]
        return [item for item in found if item is not None]

    def add_event(self, case_id: str, token: str) -> None:
        with self._lock:
            self._conn.execute(
                "INSERT INTO events VALUES (?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM events WHERE case_id = ?), ?)",
                (case_id, case_id, token),
            )

    def events(self, case_id: str) -> list[str]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT token FROM events WHERE case_id = ? ORDER BY seq", (case_id,)
            ).fetchall()
        return [str(row[0]) for row in rows]
