"""An asyncpg connection that answers like the aiosqlite one the repositories use.

The subset the repositories rely on: ``execute`` (awaited for ``rowcount`` and
``lastrowid``, or used as ``async with`` for ``fetchone``/``fetchall``),
``execute_fetchall`` and ``executemany``; rows indexable by position and by
name, with ``keys()`` so ``dict(row)`` works. Statements go through
``dialect.translate``. Constraint and trigger errors are raised as
``sqlite3.IntegrityError`` with SQLite's wording ("UNIQUE constraint failed"), so
the services' handling of a lost race is the same on both databases.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterable, Iterator
from decimal import Decimal
from types import TracebackType
from typing import Any

import asyncpg

from marketplace.db.dialect import Params, translate

_RETURNS_ROWS = re.compile(r"\s*(SELECT|WITH|VALUES)\b", re.I)
_RETURNING = re.compile(r"\bRETURNING\b", re.I)


class PgRow:
    """A result row: ``row[0]``, ``row["name"]``, ``keys()``, iteration over values."""

    __slots__ = ("_names", "_values")

    def __init__(self, record: asyncpg.Record) -> None:
        self._names = tuple(record.keys())
        self._values = tuple(_plain(v) for v in record.values())

    def __getitem__(self, key: int | str) -> Any:
        if isinstance(key, int):
            return self._values[key]
        return self._values[self._names.index(key)]

    def keys(self) -> list[str]:
        return list(self._names)

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)


def _plain(value: object) -> object:
    """Sums of integers come back as Decimal; SQLite gives int (or float)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


class PgCursor:
    """The outcome of one statement, awaitable and usable as ``async with``."""

    def __init__(self, conn: PgConnection, sql: str, params: Params) -> None:
        self._conn = conn
        self._sql = sql
        self._params = params
        self._rows: list[PgRow] | None = None
        self.rowcount = -1
        self.lastrowid: int | None = None

    async def _run(self) -> PgCursor:
        if self._rows is None:
            text, args = translate(self._sql, self._params, self._conn.id_tables)
            try:
                records, status = await self._conn.run(text, args)
            except asyncpg.IntegrityConstraintViolationError as exc:
                raise _integrity(exc) from exc
            except asyncpg.RaiseError as exc:  # a trigger refused the change
                raise sqlite3.IntegrityError(str(exc)) from exc
            self._rows = [PgRow(r) for r in records]
            self.rowcount = _count(status, len(self._rows))
            if self._rows and text.endswith("RETURNING id"):
                self.lastrowid = int(self._rows[0][0])
        return self

    def __await__(self) -> Any:
        return self._run().__await__()

    async def __aenter__(self) -> PgCursor:
        return await self._run()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None

    async def fetchone(self) -> PgRow | None:
        rows = (await self._run())._rows or []
        return rows[0] if rows else None

    async def fetchall(self) -> list[PgRow]:
        return list((await self._run())._rows or [])


class PgConnection:
    """Wraps one asyncpg connection for the duration of a read or a transaction."""

    dialect = "postgresql"

    def __init__(self, raw: asyncpg.Connection, id_tables: frozenset[str]) -> None:
        self.raw = raw
        self.id_tables = id_tables

    async def run(self, text: str, args: list[object]) -> tuple[list[Any], str]:
        """Rows and command tag; asyncpg's statement cache keeps both kinds
        prepared (``fetch`` for rows, ``execute`` for the row count)."""
        if _RETURNS_ROWS.match(text) or _RETURNING.search(text):
            return list(await self.raw.fetch(text, *args)), ""
        return [], str(await self.raw.execute(text, *args))

    def execute(self, sql: str, params: Params = None) -> PgCursor:
        return PgCursor(self, sql, params)

    async def execute_fetchall(self, sql: str, params: Params = None) -> list[PgRow]:
        return await PgCursor(self, sql, params).fetchall()

    async def executemany(self, sql: str, seq: Iterable[Params]) -> None:
        for params in seq:
            await PgCursor(self, sql, params)._run()


def _count(status: str | None, returned: int) -> int:
    """Rows touched, from the command tag ("UPDATE 3", "INSERT 0 1")."""
    last = (status or "").rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else returned


def _integrity(
    exc: asyncpg.IntegrityConstraintViolationError,
) -> sqlite3.IntegrityError:
    what = getattr(exc, "constraint_name", None) or getattr(exc, "table_name", "")
    if isinstance(exc, asyncpg.UniqueViolationError):
        return sqlite3.IntegrityError(f"UNIQUE constraint failed: {what}")
    if isinstance(exc, asyncpg.ForeignKeyViolationError):
        return sqlite3.IntegrityError("FOREIGN KEY constraint failed")
    if isinstance(exc, asyncpg.NotNullViolationError):
        return sqlite3.IntegrityError(f"NOT NULL constraint failed: {exc}")
    return sqlite3.IntegrityError(f"CHECK constraint failed: {what} ({exc})")
