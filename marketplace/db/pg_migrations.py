"""PostgreSQL schema migrations: ``migrations_pg/NNNN_name.sql``, applied in order.

Like the SQLite migrations (``migrations``), each file runs in one transaction
and is recorded in ``schema_migrations``; a database recording a version this
software does not know is refused. A session-wide advisory lock makes workers
that start together apply each file exactly once.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import asyncpg

from marketplace.db.migrations import available_migrations, refuse_unknown

log = logging.getLogger(__name__)

MIGRATION_LOCK = 0x6D696772  # the key of the migrating process's advisory lock


async def apply_pg_migrations(conn: asyncpg.Connection) -> int:
    """Bring the schema up to date; return the resulting version."""
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        rows = await conn.fetch("SELECT version FROM schema_migrations")
        applied = {int(row["version"]) for row in rows}
        migrations = available_migrations("migrations_pg")
        refuse_unknown(applied, migrations)
        for version, name, sql in migrations:
            if version not in applied:
                await _apply(conn, version, name, sql)
                applied.add(version)
        return max(applied, default=0)
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK)


async def _apply(conn: asyncpg.Connection, version: int, name: str, sql: str) -> None:
    log.info("applying PostgreSQL migration %04d_%s", version, name)
    async with conn.transaction():
        await conn.execute(sql)
        await conn.execute(
            "INSERT INTO schema_migrations (version, name, applied_at)"
            " VALUES ($1, $2, $3)",
            version,
            name,
            datetime.now(UTC).isoformat(),
        )
