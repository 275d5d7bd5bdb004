"""SQLite access: one writer connection behind a lock, a small pool of readers."""

from __future__ import annotations

from marketplace.db.database import Connection, Database, Row

__all__ = ["Connection", "Database", "Row"]
