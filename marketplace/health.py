"""Liveness and readiness: the process answers and the database is usable."""

from __future__ import annotations

import msgspec
from litestar import get

from marketplace import __version__
from marketplace.dependencies import DB


class Health(msgspec.Struct, kw_only=True, frozen=True):
    status: str
    version: str
    schema_version: int
    database: str


@get("/health", summary="Betriebszustand", tags=["health"])
async def health(db: DB) -> Health:
    async with db.read() as conn, conn.execute("SELECT 1") as cur:
        ok = await cur.fetchone() is not None
    return Health(
        status="ok" if ok else "degraded",
        version=__version__,
        schema_version=db.schema_version,
        database="ok" if ok else "unavailable",
    )
