"""SQL the cost context needs: a municipality and the populations it is split among."""

from __future__ import annotations

import msgspec

from marketplace.costs.schemas import CostModel
from marketplace.db import Connection

KREIS_LEVEL = ("stadtstaat", "kreisfreie_stadt", "landkreis")


async def municipality(conn: Connection, ags: str) -> tuple[str, str, int] | None:
    """(kind, land_code, population) of a municipality."""
    async with conn.execute(
        "SELECT kind, land_code, population FROM municipalities WHERE ags = ?", (ags,)
    ) as cur:
        row = await cur.fetchone()
    return (row[0], row[1], row[2]) if row else None


async def land_population(conn: Connection, land_code: str) -> int:
    async with conn.execute(
        "SELECT population FROM laender WHERE code = ?", (land_code,)
    ) as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def country_population(conn: Connection) -> int:
    async with conn.execute("SELECT COALESCE(SUM(population), 0) FROM laender") as cur:
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def land_units(conn: Connection, land_code: str) -> list[tuple[str, int]]:
    """The Land's top-level units: Kreis-level municipalities, and Gemeinden whose
    Kreis is not in the catalog (so no inhabitant is counted twice)."""
    async with conn.execute(
        "SELECT ags, population FROM municipalities m WHERE land_code = ? AND ("
        " kind IN ('stadtstaat', 'kreisfreie_stadt', 'landkreis')"
        " OR (kind = 'gemeinde' AND NOT EXISTS (SELECT 1 FROM municipalities k"
        "  WHERE k.ags = substr(m.ags, 1, 5) || '000' AND k.kind = 'landkreis')))"
        " ORDER BY ags",
        (land_code,),
    ) as cur:
        return [(row[0], int(row[1])) for row in await cur.fetchall()]


async def kreis_gemeinden(conn: Connection, kreis_ags: str) -> list[tuple[str, int]]:
    async with conn.execute(
        "SELECT ags, population FROM municipalities WHERE kind = 'gemeinde'"
        " AND substr(ags, 1, 5) = ? ORDER BY ags",
        (kreis_ags[:5],),
    ) as cur:
        return [(row[0], int(row[1])) for row in await cur.fetchall()]


async def published_cost_model(conn: Connection, version_id: int) -> CostModel | None:
    async with conn.execute(
        "SELECT cost_model FROM offer_versions WHERE id = ? AND status = 'published'",
        (version_id,),
    ) as cur:
        row = await cur.fetchone()
    return msgspec.json.decode(row[0], type=CostModel) if row else None
