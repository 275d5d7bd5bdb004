"""The embedded SQLite database in WAL mode.

Writes go through one connection guarded by an asyncio lock and always run inside
``BEGIN IMMEDIATE ... COMMIT``: a request either writes everything or nothing.
Reads use a small pool of separate connections, which WAL lets run beside a write.
Repositories receive a connection from ``transaction()`` or ``read()`` so that a
service can compose several repository calls into one atomic unit.

``exclusive(key)`` and ``held(space, ids)`` are named locks among all processes
that share the database, for work only one of them may do at a time (a
federation pull round) or that others must recognise as going on (a fleet run).
SQLite has one process, so here they are asyncio locks; PostgreSQL makes them
advisory locks (``postgres``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from marketplace.db.migrations import apply_migrations

log = logging.getLogger(__name__)

Connection = aiosqlite.Connection
Row = aiosqlite.Row
LockKey = tuple[int, int]  # (space, id), both below 2**31

_PRAGMAS = (
    "PRAGMA foreign_keys = ON",
    "PRAGMA busy_timeout = 10000",
    "PRAGMA synchronous = NORMAL",
)


async def _connect(path: Path) -> Connection:
    conn = await aiosqlite.connect(path, isolation_level=None)
    conn.row_factory = aiosqlite.Row
    for pragma in _PRAGMAS:
        await conn.execute(pragma)
    return conn


class Database:
    """Owns the connections to one SQLite file; open before use, close at shutdown."""

    def __init__(self, path: Path, *, readers: int = 4) -> None:
        self.path = path
        self._reader_count = max(1, readers)
        self._writer: Connection | None = None
        self._readers: asyncio.Queue[Connection] = asyncio.Queue()
        self._all_readers: list[Connection] = []
        self._write_lock = asyncio.Lock()
        self._named: dict[LockKey, asyncio.Lock] = {}
        self.schema_version = 0

    async def open(self) -> None:
        """Create the file if needed, switch to WAL and apply pending migrations."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer = await _connect(self.path)
        try:
            await self._writer.execute("PRAGMA journal_mode = WAL")
            self.schema_version = await apply_migrations(self._writer)
        except BaseException:
            await self.close()
            raise
        for _ in range(self._reader_count):
            reader = await _connect(self.path)
            self._all_readers.append(reader)
            self._readers.put_nowait(reader)
        log.info(
            "database %s open at schema version %d", self.path, self.schema_version
        )

    async def close(self) -> None:
        for reader in self._all_readers:
            await reader.close()
        self._all_readers.clear()
        self._readers = asyncio.Queue()
        if self._writer is not None:
            await self._writer.close()
            self._writer = None

    @asynccontextmanager
    async def transaction(
        self, *, serialised: bool = True
    ) -> AsyncIterator[Connection]:
        """Serialised write transaction; rolls back on any exception.

        ``serialised=False`` is for statements that lock their rows themselves
        (the outbox claim); SQLite has one writer, so it changes nothing here."""
        if self._writer is None:
            raise RuntimeError("database is not open")
        async with self._write_lock:
            await self._writer.execute("BEGIN IMMEDIATE")
            try:
                yield self._writer
            except BaseException:
                await self._writer.execute("ROLLBACK")
                raise
            await self._writer.execute("COMMIT")

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Connection]:
        """A reader connection; sees the last committed state."""
        if not self._all_readers:
            raise RuntimeError("database is not open")
        conn = await self._readers.get()
        try:
            yield conn
        finally:
            self._readers.put_nowait(conn)

    @asynccontextmanager
    async def exclusive(
        self, key: LockKey, *, wait: bool = True
    ) -> AsyncIterator[bool]:
        """Hold ``key`` for the block, against every process sharing the database.

        Yields True while held. With ``wait=False`` and ``key`` held elsewhere it
        yields False at once: the block runs without the lock and should skip
        its work."""
        lock = self._named.setdefault(key, asyncio.Lock())
        if not wait and lock.locked():
            yield False
            return
        async with lock:
            yield True

    async def held(self, space: int, ids: Iterable[int]) -> set[int]:
        """Those of ``ids`` whose ``(space, id)`` some process holds now."""
        return {
            i for i in ids if (lock := self._named.get((space, i))) and lock.locked()
        }

    async def __aenter__(self) -> Database:
        await self.open()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
