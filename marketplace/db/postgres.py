"""The scale-out database: PostgreSQL shared by several marketplace processes.

Same interface as the SQLite ``Database`` (it is one, for the type checker):
``transaction()`` and ``read()`` hand repositories a connection that speaks the
repositories' SQLite dialect (``pg_connection``, ``dialect``). Semantics kept
from SQLite: a ``transaction()`` takes one transaction-scoped advisory lock, so
ordinary writes are serialised across all processes exactly as SQLite's single
writer serialises them (read-check-write logic in the services stays correct).
The delivery engine's claims and outcomes use ``transaction(serialised=False)``:
they rely on row locks (``FOR UPDATE SKIP LOCKED``, ``WHERE lease_until = ?``)
and run in parallel across workers. asyncpg connections belong to one event
loop, so each loop that uses the database gets its own pool. Migrations from ``migrations_pg/`` run under
an advisory lock, so workers starting together apply them once.

``exclusive(key)`` is a session-level advisory lock (the two-integer form, apart
from the one-integer locks above) on a connection of its own, opened for the
block: the lock lives exactly as long as that session, so a worker that dies
while holding it (killed, its machine gone) releases it with its connection.
``held`` reads ``pg_locks``, so any worker sees what another one is doing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import cast

import asyncpg
import msgspec

from marketplace.db.database import Connection, Database, LockKey
from marketplace.db.pg_connection import PgConnection
from marketplace.db.pg_migrations import apply_pg_migrations
from marketplace.errors import MarketplaceError

log = logging.getLogger(__name__)

WRITE_LOCK = 0x6D61726B  # any constant; the key of the writers' advisory lock


class PostgresDatabase(Database):
    """A pool of connections to one PostgreSQL database; open before use."""

    def __init__(self, url: str, *, path: Path, connections: int = 4) -> None:
        """``path`` is where the SQLite file would be: its folder holds the
        documents (intake, delivery bodies), shared by all workers."""
        super().__init__(path, readers=connections)
        self.url = url
        self._open = False
        self._pools: dict[asyncio.AbstractEventLoop, asyncpg.Pool] = {}
        self._pool_locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}
        self._id_tables: frozenset[str] = frozenset()

    async def open(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)  # the documents
        raw = await asyncpg.connect(self.url)
        try:
            self.schema_version = await apply_pg_migrations(raw)
            self._id_tables = await _tables_with_generated_id(raw)
        finally:
            await raw.close()
        self._open = True
        log.info("PostgreSQL open at schema version %d", self.schema_version)

    async def close(self) -> None:
        self._open = False
        pools, self._pools = self._pools, {}
        self._pool_locks = {}
        current = asyncio.get_running_loop()
        for loop, pool in pools.items():
            if loop is current:
                await pool.close()
            else:  # a pool of another event loop (a test client's portal)
                pool.terminate()

    @asynccontextmanager
    async def transaction(
        self, *, serialised: bool = True
    ) -> AsyncIterator[Connection]:
        """One transaction; rolls back on any exception."""
        async with self._acquire() as raw, raw.transaction():
            if serialised:
                await raw.execute("SELECT pg_advisory_xact_lock($1)", WRITE_LOCK)
            yield cast(Connection, PgConnection(raw, self._id_tables))

    @asynccontextmanager
    async def read(self) -> AsyncIterator[Connection]:
        """Statements in autocommit; each sees the last committed state."""
        async with self._acquire() as raw:
            yield cast(Connection, PgConnection(raw, self._id_tables))

    @asynccontextmanager
    async def exclusive(
        self, key: LockKey, *, wait: bool = True
    ) -> AsyncIterator[bool]:
        """Hold ``key`` for the block, against every process on this database
        (``Database.exclusive``)."""
        if not self._open:
            raise RuntimeError("database is not open")
        raw = await asyncpg.connect(self.url)  # the lock's own session
        try:
            if wait:
                await raw.execute("SELECT pg_advisory_lock($1, $2)", *key)
                got = True
            else:
                got = bool(
                    await raw.fetchval("SELECT pg_try_advisory_lock($1, $2)", *key)
                )
            yield got
        finally:
            await raw.close()  # ends the session, and with it the lock

    async def held(self, space: int, ids: Iterable[int]) -> set[int]:
        """Those of ``ids`` whose ``(space, id)`` some session holds now."""
        async with self._acquire() as raw:
            rows = await raw.fetch(
                "SELECT objid::bigint AS id FROM pg_locks WHERE locktype = 'advisory'"
                " AND granted AND objsubid = 2 AND classid = $1::bigint::oid"
                " AND database = (SELECT oid FROM pg_database"
                " WHERE datname = current_database())",
                space,
            )
        return {int(r["id"]) for r in rows} & set(ids)

    @asynccontextmanager
    async def _acquire(self) -> AsyncIterator[asyncpg.Connection]:
        if not self._open:
            raise RuntimeError("database is not open")
        loop = asyncio.get_running_loop()
        pool = self._pools.get(loop) or await self._new_pool(loop)
        async with pool.acquire() as raw:
            yield raw

    async def _new_pool(self, loop: asyncio.AbstractEventLoop) -> asyncpg.Pool:
        """The loop's pool (asyncpg connections belong to one event loop), made
        once however many first calls arrive together."""
        async with self._pool_locks.setdefault(loop, asyncio.Lock()):
            pool = self._pools.get(loop)
            if pool is None:
                pool = await asyncpg.create_pool(
                    self.url, min_size=1, max_size=self._reader_count + 1
                )
                self._pools[loop] = pool
        return pool


async def _tables_with_generated_id(raw: asyncpg.Connection) -> frozenset[str]:
    rows = await raw.fetch(
        "SELECT table_name FROM information_schema.columns"
        " WHERE table_schema = current_schema() AND column_name = 'id'"
        " AND is_identity = 'YES'"
    )
    return frozenset(str(r["table_name"]) for r in rows)


# Connections a worker opens besides its pool: the session of an advisory lock
# (federation pull) and one for a fleet run running at the same time.
EXTRA_PER_WORKER = 2


class ConnectionBudget(msgspec.Struct, frozen=True):
    """What the server allows and what the workers would take at most."""

    max_connections: int
    reserved: int  # for superusers (and, from PostgreSQL 16, reserved roles)
    in_use: int  # client connections open now, of any program
    per_worker: int
    workers: int

    @property
    def free(self) -> int:
        return self.max_connections - self.reserved - self.in_use

    @property
    def needed(self) -> int:
        return self.workers * self.per_worker


async def connection_budget(
    url: str, *, workers: int, read_connections: int
) -> ConnectionBudget:
    """Ask the server how many connections are left for ``workers`` processes
    that each keep a pool of ``read_connections + 1`` plus their extras."""
    try:
        raw = await asyncpg.connect(url)
    except (OSError, asyncpg.PostgresError) as exc:
        # The URL may carry a password: name the server by host and port only.
        raise MarketplaceError(
            f"PostgreSQL ist nicht erreichbar ({type(exc).__name__}). Läuft der"
            " Server, und stimmen Adresse, Benutzer und Passwort in --database-url?"
        ) from exc
    try:
        rows = await raw.fetch(
            "SELECT name, setting FROM pg_settings WHERE name IN"
            " ('max_connections', 'superuser_reserved_connections',"
            " 'reserved_connections')"
        )
        values = {str(r["name"]): int(r["setting"]) for r in rows}
        in_use = await raw.fetchval(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
    finally:
        await raw.close()
    return ConnectionBudget(
        max_connections=values["max_connections"],
        reserved=values.get("superuser_reserved_connections", 0)
        + values.get("reserved_connections", 0),
        in_use=int(in_use),
        per_worker=read_connections + 1 + EXTRA_PER_WORKER,
        workers=workers,
    )


def check_budget(budget: ConnectionBudget) -> None:
    """Refuse to start workers that would run out of connections under load
    (requests would then fail at the busiest moment, not at start)."""
    if budget.needed <= budget.free:
        return
    raise MarketplaceError(
        f"PostgreSQL hat nicht genug freie Verbindungen: {budget.workers} Worker"
        f" brauchen bis zu {budget.needed} ({budget.per_worker} je Worker), frei"
        f" sind {budget.free} (max_connections {budget.max_connections}, davon"
        f" {budget.reserved} reserviert und {budget.in_use} schon belegt)."
        " Weniger Worker (--workers), weniger Leseverbindungen"
        " (MARKETPLACE_READ_CONNECTIONS) oder max_connections des Servers erhöhen."
    )
