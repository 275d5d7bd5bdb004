"""The station database's tables, and bringing an older file up to date.

``CREATE TABLE IF NOT EXISTS`` does not change a table that exists, so a station
database from before scanner batches could pause (state ``paused``, column
``operator``) has its ``batches`` table rebuilt once, rows kept, in one
transaction (SQLite cannot alter a CHECK constraint in place).
"""

from __future__ import annotations

import sqlite3

BATCHES = """
CREATE TABLE IF NOT EXISTS batches (
    id TEXT PRIMARY KEY,
    profile TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('folder', 'scanner')),
    state TEXT NOT NULL CHECK (state IN ('running', 'paused', 'done', 'failed')),
    stage TEXT NOT NULL DEFAULT '',
    done INTEGER NOT NULL DEFAULT 0,
    total INTEGER NOT NULL DEFAULT 0,
    message TEXT NOT NULL DEFAULT '',
    pages_captured INTEGER NOT NULL DEFAULT 0,
    operator TEXT NOT NULL DEFAULT '',
    started_at TEXT NOT NULL,
    finished_at TEXT
);
"""

OTHERS = """
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
CREATE TABLE IF NOT EXISTS captured (
    batch_id TEXT NOT NULL REFERENCES batches (id),
    number INTEGER NOT NULL,
    page TEXT NOT NULL,
    PRIMARY KEY (batch_id, number)
);
"""

_COPY = """
INSERT INTO batches_new (id, profile, source, state, stage, done, total, message,
    pages_captured, started_at, finished_at)
SELECT id, profile, source, state, stage, done, total, message, pages_captured,
    started_at, finished_at FROM batches
"""


def create(conn: sqlite3.Connection) -> None:
    """Make the tables; rebuild an old ``batches`` table (autocommit connection)."""
    found = conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'batches'"
    ).fetchone()
    if found is not None and "'paused'" not in found[0]:
        _rebuild_batches(conn)
    conn.executescript(BATCHES + OTHERS)


def _rebuild_batches(conn: sqlite3.Connection) -> None:
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("DROP TABLE IF EXISTS batches_new")
        conn.execute(BATCHES.replace("IF NOT EXISTS batches", "batches_new"))
        conn.execute(_COPY)
        conn.execute("DROP TABLE batches")
        conn.execute("ALTER TABLE batches_new RENAME TO batches")
        conn.execute("COMMIT")
    except sqlite3.Error:
        conn.execute("ROLLBACK")
        raise
