"""Migration 0013 on a database that already has submissions and a transfer log:
a file made by the previous release (migrations 0001-0012, rows written as that
release writes them) is opened by this one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import msgspec
import pytest

from marketplace.db import Database, migrations

LEIPZIG = "14713000"
DOCS = [
    {
        "document_id": "antrag",
        "filename": "antrag.pdf",
        "media_type": "application/pdf",
        "sha256": "a" * 64,
        "size": 1234,
        "location": f"delivery/blobs/aa/{'a' * 64}",
    },
    {
        "document_id": "anlage",
        "filename": "anlage.pdf",
        "media_type": "application/pdf",
        "sha256": "b" * 64,
        "size": 99,
        "location": f"delivery/blobs/bb/{'b' * 64}",
    },
]


def _previous_release(path: Path) -> None:
    """Migrations up to 0012, two held submissions (one with two documents,
    one without) and three transfer log entries."""
    with sqlite3.connect(path) as old:
        old.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
            " name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        for version, name, sql in migrations.available_migrations():
            if version <= 12:
                old.executescript(sql)
                old.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, 'then')",
                    (version, name),
                )
        for sub_id, documents in (("s-1", DOCS), ("s-2", [])):
            envelope = msgspec.json.encode({"metadata": {}, "documents": documents})
            old.execute(
                "INSERT INTO delivery_submissions (id, municipality_ags, source,"
                " channel, test, envelope, payload_bytes, undeliverable_reason,"
                " created_at) VALUES (?, ?, 'api', 'online', 0, ?, 10,"
                " 'kein Abonnement', '2026-11-01T10:00:00Z')",
                (sub_id, LEIPZIG, envelope),
            )
        for number in range(3):
            old.execute(
                "INSERT INTO delivery_transfer_log (entry_id, at, municipality_ags,"
                " submission_id, outbox_id, service_leika, purpose, receiver,"
                " connector, environment, channel, identification_level,"
                " data_fields, documents, outcome) VALUES (?, '2026-11-01T10:00:00Z',"
                " ?, 's-1', ?, '99000000000000', 'Antrag', 'Akte', 'dropfolder',"
                " 'production', 'online', 'none', '[]', '[]', 'delivered')",
                (f"e-{number}", LEIPZIG, number + 1),
            )
    old.close()


async def test_an_existing_file_keeps_its_rows_and_learns_its_document_keys(
    tmp_path: Path,
) -> None:
    """GIVEN a database of the previous release with a submission of two
    documents, one without documents and three transfer log entries
    WHEN this release opens it
    THEN the submission's two keys are listed with SHA-256 and size, nothing for
    the other, the three log entries are all still there in order, the log is
    still append-only and takes the new outcome 'purged'."""
    path = tmp_path / "old.sqlite3"
    _previous_release(path)
    async with Database(path) as db:
        assert db.schema_version >= 13
    with sqlite3.connect(path) as conn:
        listed = conn.execute(
            "SELECT submission_id, location, sha256, size_bytes, body_purged_at"
            " FROM delivery_documents ORDER BY location"
        ).fetchall()
        assert listed == [
            ("s-1", d["location"], d["sha256"], d["size"], None) for d in DOCS
        ]
        log = conn.execute(
            "SELECT entry_id, outbox_id FROM delivery_transfer_log ORDER BY id"
        ).fetchall()
        assert log == [("e-0", 1), ("e-1", 2), ("e-2", 3)]
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM delivery_transfer_log WHERE entry_id = 'e-0'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE delivery_transfer_log SET reason = 'x'")
        conn.execute(
            "INSERT INTO delivery_transfer_log (entry_id, at, municipality_ags,"
            " submission_id, outbox_id, service_leika, purpose, receiver, connector,"
            " environment, channel, identification_level, data_fields, documents,"
            " outcome) SELECT 'e-purged', at, municipality_ags, submission_id,"
            " outbox_id, service_leika, purpose, receiver, connector, environment,"
            " channel, identification_level, data_fields, documents, 'purged'"
            " FROM delivery_transfer_log WHERE entry_id = 'e-0'"
        )
        assert conn.execute(
            "SELECT count(*) FROM delivery_transfer_log"
        ).fetchone() == (4,)
