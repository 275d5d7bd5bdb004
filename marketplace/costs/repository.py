"""SQL the cost context needs: a municipality and the populations it is split among."""

from __future__ import annotations

import msgspec

from marketplace.costs.schemas import CostModel
from marketplace.db import Connection


async def municipality(conn: Connection, ags: str) -> tuple[str, str, int, int] | None:
    """(kind, land_code, population, the Land's population or 0) of a municipality."""
    async with conn.execute(
        "SELECT m.kind, m.land_code, m.population, COALESCE(l.population, 0)"
        " FROM municipalities m LEFT JOIN laender l ON l.code = m.land_code"
        " WHERE m.ags = ?",
        (ags,),
    ) as cur:
        row = await cur.fetchone()
    return (row[0], row[1], int(row[2]), int(row[3])) if row else None


async def data_state(conn: Connection) -> tuple[int, int]:
    """Changes whenever the database may have changed for this connection: SQLite's
    ``data_version`` moves on commits by other connections, ``total_changes()`` on
    this connection's own writes (committed or not)."""
    rows = list(
        await conn.execute_fetchall(
            "SELECT (SELECT data_version FROM pragma_data_version()), total_changes()"
        )
    )
    return (int(rows[0][0]), int(rows[0][1])) if rows else (0, 0)


async def country_population(conn: Connection) -> int:
    async with conn.execute("SELECT COALESCE(SUM(population), 0) FROM laender") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def land_units(conn: Connection, land_code: str) -> list[tuple[str, int]]:
    """The Land's top-level units: Kreis-level municipalities, and Gemeinden whose
    Landkreis is not in the catalog (so no inhabitant is counted twice). Both parts
    are searched through the (land_code, kind) index; the Landkreis prefixes are
    computed once, not per Gemeinde."""
    async with conn.execute(
        "SELECT ags, population FROM municipalities WHERE land_code = ?1"
        " AND kind IN ('stadtstaat', 'kreisfreie_stadt', 'landkreis')"
        " UNION ALL"
        " SELECT ags, population FROM municipalities WHERE land_code = ?1"
        " AND kind = 'gemeinde' AND substr(ags, 1, 5) NOT IN ("
        "  SELECT substr(ags, 1, 5) FROM municipalities"
        "  WHERE land_code = ?1 AND kind = 'landkreis')"
        " ORDER BY ags",
        (land_code,),
    ) as cur:
        return [(row[0], int(row[1])) for row in await cur.fetchall()]


async def kreis_gemeinden(conn: Connection, kreis_ags: str) -> list[tuple[str, int]]:
    """The Gemeinden of a Landkreis: AGS from ``kreis_ags`` (exclusive) to the
    Kreis's last Gemeinde number, a range of the primary key."""
    async with conn.execute(
        "SELECT ags, population FROM municipalities"
        " WHERE ags > ? AND ags <= ? AND kind = 'gemeinde' ORDER BY ags",
        (kreis_ags, kreis_ags[:5] + "999"),
    ) as cur:
        return [(row[0], int(row[1])) for row in await cur.fetchall()]


async def published_cost_model(conn: Connection, version_id: int) -> CostModel | None:
    async with conn.execute(
        "SELECT cost_model FROM offer_versions WHERE id = ? AND status = 'published'",
        (version_id,),
    ) as cur:
        row = await cur.fetchone()
    return msgspec.json.decode(row[0], type=CostModel) if row else None
