"""The PostgreSQL schema has every table and column of the SQLite schema.

Repositories are written once; a table or column missing on PostgreSQL would
fail only when its feature is used there. So both schemas are built by their
migrations and compared by name (FTS5's own shadow tables and SQLite's
``sqlite_sequence`` exist only in SQLite; the two text indexes are plain tables
on PostgreSQL with an explicit ``rowid``)."""

from __future__ import annotations

from pathlib import Path

from litestar import Litestar
from litestar.testing import AsyncTestClient

from marketplace.db import Database

_FTS = ("catalog_fts", "catalog_words")
_SQLITE_ONLY = {"sqlite_sequence"}


async def _sqlite_columns(path: Path) -> dict[str, set[str]]:
    async with Database(path, readers=1) as db, db.read() as conn:
        tables = [
            row[0]
            for row in await conn.execute_fetchall(
                "SELECT name FROM sqlite_master WHERE type = 'table'"
            )
        ]
        found = {}
        for table in tables:
            shadow = any(table.startswith(f"{fts}_") for fts in _FTS)
            if table in _SQLITE_ONLY or shadow:
                continue
            rows = await conn.execute_fetchall(f"PRAGMA table_info({table})")
            found[table] = {row[1] for row in rows}
    return found


async def _postgres_columns(db: Database) -> dict[str, set[str]]:
    async with db.read() as conn:
        rows = await conn.execute_fetchall(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = current_schema()"
        )
    found: dict[str, set[str]] = {}
    for table, column in rows:
        found.setdefault(table, set()).add(column)
    for fts in _FTS:
        found[fts].discard("rowid")
    return found


async def test_every_sqlite_table_and_column_is_on_postgresql(
    client: AsyncTestClient[Litestar], tmp_path: Path
) -> None:
    """GIVEN a SQLite file and a PostgreSQL database, both migrated to the newest
    schema WHEN their tables and columns are listed THEN they are the same."""
    sqlite = await _sqlite_columns(tmp_path / "vergleich.sqlite3")
    postgres = await _postgres_columns(client.app.state.db)
    assert sorted(sqlite) == sorted(postgres)
    for table, columns in sqlite.items():
        assert postgres[table] == columns, table
