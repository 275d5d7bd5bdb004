"""Schema migrations: numbered SQL files applied in order, each in one transaction.

Files live in ``marketplace/db/migrations/NNNN_name.sql``. Applied versions are
recorded in ``schema_migrations``; an existing database file is upgraded in place
(every bundled migration not yet recorded is applied, in number order, also one
numbered below the newest applied) and a file that records a migration this
software does not know is refused.
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


def available_migrations(folder_name: str = "migrations") -> list[tuple[int, str, str]]:
    """(version, name, sql) for every bundled migration, in order; PostgreSQL's are
    in ``migrations_pg``."""
    folder = resources.files("marketplace.db") / folder_name
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
    async with conn.execute("SELECT version FROM schema_migrations") as cur:
        applied = {int(row[0]) for row in await cur.fetchall()}
    migrations = available_migrations()
    refuse_unknown(applied, migrations)
    current = max(applied, default=0)
    for version, name, sql in migrations:
        if version in applied:
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
        current = max(current, version)
    return current


def refuse_unknown(applied: set[int], migrations: list[tuple[int, str, str]]) -> None:
    """Raise ``SchemaTooNew`` when the database records a version not bundled here."""
    known = {version for version, _, _ in migrations}
    if applied - known:
        raise SchemaTooNew(
            f"database has schema versions {sorted(applied - known)} that this "
            f"software does not know (newest known: {max(known, default=0)})"
        )


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
