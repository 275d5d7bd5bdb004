"""Schema migrations: numbered SQL files applied in order, each in one transaction.

Files live in ``marketplace/db/migrations/NNNN_name.sql``. Applied versions are
recorded in ``schema_migrations``; an existing database file is upgraded in place
and a file written by a newer version of the software is refused.
"""

from __future__ import annotations

import logging
import re
import sqlite3
from datetime import UTC, datetime
from importlib import resources

import aiosqlite

log = logging.getLogger(__name__)

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


class SchemaTooNew(RuntimeError):
    """The database file was written by a newer version of the marketplace."""


def available_migrations() -> list[tuple[int, str, str]]:
    """(version, name, sql) for every bundled migration, in order."""
    folder = resources.files("marketplace.db") / "migrations"
    found = []
    for entry in folder.iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append((int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [version for version, _, _ in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration numbers in {versions}")
    return found


async def apply_migrations(conn: aiosqlite.Connection) -> int:
    """Bring the schema up to date; return the resulting version."""
    await conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    async with conn.execute(
        "SELECT COALESCE(MAX(version), 0) FROM schema_migrations"
    ) as cur:
        row = await cur.fetchone()
    current = int(row[0]) if row else 0
    migrations = available_migrations()
    newest = migrations[-1][0] if migrations else 0
    if current > newest:
        raise SchemaTooNew(
            f"database schema version {current} is newer than this software ({newest})"
        )
    for version, name, sql in migrations:
        if version <= current:
            continue
        log.info("applying migration %04d_%s", version, name)
        await conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in _split_statements(sql):
                await conn.execute(statement)
            await conn.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (version, name, datetime.now(UTC).isoformat()),
            )
        except BaseException:
            await conn.execute("ROLLBACK")
            raise
        await conn.execute("COMMIT")
        current = version
    return current


def _split_statements(sql: str) -> list[str]:
    """Split a migration into statements; triggers keep their inner semicolons."""
    statements: list[str] = []
    buffer = ""
    for line in sql.splitlines(keepends=True):
        if line.strip().startswith("--"):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            if buffer.strip():
                statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        statements.append(buffer.strip())
    return statements
