"""Database access: the embedded SQLite file (one writer connection behind a lock,
a small pool of readers) or, in the scale-out mode, PostgreSQL (``postgres``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from marketplace.db.database import Connection, Database, Row

if TYPE_CHECKING:
    from marketplace.settings import Settings

__all__ = ["Connection", "Database", "Row", "database_for"]


def database_for(settings: Settings, *, connections: int | None = None) -> Database:
    """The database the settings name: PostgreSQL with ``database_url``, else SQLite."""
    count = connections or settings.read_connections
    if settings.database_url:
        from marketplace.db.postgres import PostgresDatabase

        return PostgresDatabase(
            settings.database_url, path=settings.db_path, connections=count
        )
    return Database(settings.db_path, readers=count)
