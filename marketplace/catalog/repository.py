"""SQL of the catalog (search lives in ``search.py``). The only catalog module that
touches the database; every function takes a connection from the caller."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any, NamedTuple

import msgspec

from marketplace.catalog.schemas import (
    Land,
    Municipality,
    MunicipalityIn,
    Offer,
    OfferVersion,
    OfferVersionIn,
    Provider,
    ProviderIn,
    Service,
    ServiceIn,
)
from marketplace.catalog.search import BAND_SQL
from marketplace.costs.schemas import CostModel
from marketplace.db import Connection, Row

_SERVICE_COLUMNS = (
    "s.id, s.leika_key, s.title, s.summary, s.ozg_bundle, s.topic, s.maturity,"
    " s.trust_level, s.delivery_standard, s.fachverfahren, s.has_test_instance,"
    " (SELECT json_group_array(life_situation) FROM service_life_situations"
    "  WHERE service_id = s.id) AS life_situations"
)
_VERSION_COLUMNS = (
    "id, offer_id, version, status, title, description, legal_route, cost_model,"
    " contract_template, notice_period_months, land_code, created_at, published_at,"
    " reference_annual_cents"
)


Params = Sequence[Any] | Mapping[str, Any]


async def _one(conn: Connection, sql: str, params: Params = ()) -> Row | None:
    async with conn.execute(sql, params) as cur:
        return await cur.fetchone()


async def _all(conn: Connection, sql: str, params: Params = ()) -> list[Row]:
    async with conn.execute(sql, params) as cur:
        return list(await cur.fetchall())


@asynccontextmanager
async def snapshot(conn: Connection) -> AsyncIterator[None]:
    """Several reads on a reader connection that see one committed state."""
    await conn.execute("BEGIN")
    try:
        yield
    finally:
        await conn.execute("COMMIT")


# Länder ---------------------------------------------------------------------------


async def upsert_land(conn: Connection, land: Land) -> None:
    await conn.execute(
        "INSERT INTO laender (code, abbreviation, name, population) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (code) DO UPDATE SET population = excluded.population",
        (land.code, land.abbreviation, land.name, land.population),
    )


async def list_laender(conn: Connection) -> list[Land]:
    rows = await _all(conn, "SELECT * FROM laender ORDER BY name")
    return [Land(**dict(row)) for row in rows]


async def get_land(conn: Connection, code: str) -> Land | None:
    row = await _one(conn, "SELECT * FROM laender WHERE code = ?", (code,))
    return Land(**dict(row)) if row else None


async def land_exists(conn: Connection, code: str) -> bool:
    return await _one(conn, "SELECT 1 FROM laender WHERE code = ?", (code,)) is not None


# Providers ------------------------------------------------------------------------


async def insert_provider(conn: Connection, data: ProviderIn, now: str) -> None:
    await conn.execute(
        "INSERT INTO providers (id, name, kind, land_code, website, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (data.id, data.name, data.kind, data.land_code, data.website, now),
    )


async def provider_home(conn: Connection, provider_id: str) -> str | None:
    """The node a provider belongs to (None: this node, or no such provider)."""
    row = await _one(
        conn, "SELECT home_node FROM providers WHERE id = ?", (provider_id,)
    )
    return row[0] if row else None


async def get_provider(conn: Connection, provider_id: str) -> Provider | None:
    row = await _one(
        conn,
        "SELECT id, name, kind, land_code, website FROM providers WHERE id = ?",
        (provider_id,),
    )
    return Provider(**dict(row)) if row else None


async def list_providers(conn: Connection) -> list[Provider]:
    rows = await _all(
        conn, "SELECT id, name, kind, land_code, website FROM providers ORDER BY name"
    )
    return [Provider(**dict(row)) for row in rows]


# Municipalities -------------------------------------------------------------------


async def insert_municipality(conn: Connection, data: MunicipalityIn) -> None:
    await conn.execute(
        "INSERT INTO municipalities"
        " (ags, name, kind, land_code, population, population_as_of)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            data.ags,
            data.name,
            data.kind,
            data.ags[:2],
            data.population,
            data.population_as_of,
        ),
    )


async def get_municipality(conn: Connection, ags: str) -> Municipality | None:
    row = await _one(conn, "SELECT * FROM municipalities WHERE ags = ?", (ags,))
    return Municipality(**dict(row)) if row else None


async def list_municipalities(
    conn: Connection, *, land_code: str | None, prefix: str, limit: int, offset: int
) -> list[Municipality]:
    rows = await _all(
        conn,
        "SELECT * FROM municipalities WHERE (? IS NULL OR land_code = ?)"
        " AND name LIKE ? ESCAPE '\\' ORDER BY name, ags LIMIT ? OFFSET ?",
        (land_code, land_code, _like_prefix(prefix), limit, offset),
    )
    return [Municipality(**dict(row)) for row in rows]


def _like_prefix(prefix: str) -> str:
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{escaped}%"


# Services -------------------------------------------------------------------------


async def insert_service(conn: Connection, data: ServiceIn, now: str) -> int:
    cursor = await conn.execute(
        "INSERT INTO services (leika_key, title, summary, ozg_bundle, topic, maturity,"
        " trust_level, delivery_standard, fachverfahren, has_test_instance, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            data.leika_key,
            data.title,
            data.summary,
            data.ozg_bundle,
            data.topic,
            data.maturity,
            data.trust_level,
            data.delivery_standard,
            json.dumps(data.fachverfahren, ensure_ascii=False),
            int(data.has_test_instance),
            now,
        ),
    )
    service_id = int(cursor.lastrowid or 0)
    await conn.executemany(
        "INSERT INTO service_life_situations (service_id, life_situation) VALUES (?, ?)",
        [(service_id, name) for name in dict.fromkeys(data.life_situations)],
    )
    return service_id


def _service(row: Row) -> Service:
    values = dict(row)
    values["fachverfahren"] = json.loads(values["fachverfahren"])
    values["life_situations"] = sorted(json.loads(values["life_situations"]))
    values["has_test_instance"] = bool(values["has_test_instance"])
    return Service(**values)


async def get_service(conn: Connection, service_id: int) -> Service | None:
    row = await _one(
        conn, f"SELECT {_SERVICE_COLUMNS} FROM services s WHERE s.id = ?", (service_id,)
    )
    return _service(row) if row else None


async def service_id_for_leika(conn: Connection, leika_key: str) -> int | None:
    row = await _one(conn, "SELECT id FROM services WHERE leika_key = ?", (leika_key,))
    return int(row[0]) if row else None


async def list_services(conn: Connection) -> list[Service]:
    rows = await _all(conn, f"SELECT {_SERVICE_COLUMNS} FROM services s ORDER BY title")
    return [_service(row) for row in rows]


# Offers ---------------------------------------------------------------------------


async def insert_offer(
    conn: Connection, *, provider_id: str, service_id: int, now: str
) -> int:
    cursor = await conn.execute(
        "INSERT INTO offers (provider_id, service_id, created_at) VALUES (?, ?, ?)",
        (provider_id, service_id, now),
    )
    return int(cursor.lastrowid or 0)


async def offer_for(conn: Connection, provider_id: str, service_id: int) -> int | None:
    row = await _one(
        conn,
        "SELECT id FROM offers WHERE provider_id = ? AND service_id = ?",
        (provider_id, service_id),
    )
    return int(row[0]) if row else None


async def insert_version(
    conn: Connection, *, offer_id: int, version: int, data: OfferVersionIn, now: str
) -> int:
    cursor = await conn.execute(
        "INSERT INTO offer_versions (offer_id, version, status, title, description,"
        " land_code, legal_route, cost_model, contract_template, notice_period_months,"
        " created_at) VALUES (?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            offer_id,
            version,
            data.title,
            data.description,
            data.land_code,
            data.legal_route,
            msgspec.json.encode(data.cost_model).decode(),
            data.contract_template,
            data.notice_period_months,
            now,
        ),
    )
    return int(cursor.lastrowid or 0)


async def update_draft(conn: Connection, version_id: int, data: OfferVersionIn) -> bool:
    cursor = await conn.execute(
        "UPDATE offer_versions SET title = ?, description = ?, land_code = ?,"
        " legal_route = ?, cost_model = ?, contract_template = ?,"
        " notice_period_months = ? WHERE id = ? AND status = 'draft'",
        (
            data.title,
            data.description,
            data.land_code,
            data.legal_route,
            msgspec.json.encode(data.cost_model).decode(),
            data.contract_template,
            data.notice_period_months,
            version_id,
        ),
    )
    return cursor.rowcount == 1


async def mark_published(
    conn: Connection, version_id: int, *, now: str, reference_annual_cents: int
) -> None:
    await conn.execute(
        "UPDATE offer_versions SET status = 'published', published_at = ?,"
        " reference_annual_cents = ? WHERE id = ? AND status = 'draft'",
        (now, reference_annual_cents, version_id),
    )


async def set_current(conn: Connection, offer_id: int, version_id: int) -> None:
    """Make ``version_id`` the searchable version of its offer (index row included)."""
    await remove_current(conn, offer_id)
    await conn.execute(
        "INSERT INTO catalog_current (offer_id, offer_version_id, service_id,"
        " provider_id, land_code, topic, maturity, leika_key, price_band, sort_key)"
        " SELECT o.id, v.id, s.id, p.id, COALESCE(v.land_code, p.land_code), s.topic,"
        f" s.maturity, s.leika_key, {BAND_SQL}, s.title || char(31) || p.name"
        " FROM offer_versions v JOIN offers o ON o.id = v.offer_id"
        " JOIN services s ON s.id = o.service_id JOIN providers p ON p.id = o.provider_id"
        " WHERE v.id = ? AND o.id = ?",
        (version_id, offer_id),
    )
    await conn.execute(
        "INSERT INTO catalog_fts (rowid, title, service_title, body)"
        " SELECT v.id, v.title, s.title,"
        "  s.leika_key || ' ' || s.summary || ' ' || s.ozg_bundle || ' ' || s.topic"
        "  || ' ' || s.delivery_standard || ' ' || s.fachverfahren || ' ' || p.name"
        "  || ' ' || v.description || ' ' || COALESCE((SELECT group_concat("
        "   life_situation, ' ') FROM service_life_situations WHERE service_id = s.id),"
        "  '')"
        " FROM offer_versions v JOIN offers o ON o.id = v.offer_id"
        " JOIN services s ON s.id = o.service_id JOIN providers p ON p.id = o.provider_id"
        " WHERE v.id = ?",
        (version_id,),
    )
    await conn.execute(
        "INSERT INTO catalog_words (rowid, title, service_title, body)"
        " SELECT rowid, title, service_title, body FROM catalog_fts WHERE rowid = ?",
        (version_id,),
    )


async def remove_current(conn: Connection, offer_id: int) -> None:
    """Take the offer's current version out of the catalog and both text indexes."""
    for index in ("catalog_fts", "catalog_words"):
        await conn.execute(
            f"DELETE FROM {index} WHERE rowid IN"
            " (SELECT offer_version_id FROM catalog_current WHERE offer_id = ?)",
            (offer_id,),
        )
    await conn.execute("DELETE FROM catalog_current WHERE offer_id = ?", (offer_id,))


async def mark_withdrawn(conn: Connection, offer_id: int, now: str) -> None:
    await conn.execute(
        "UPDATE offers SET withdrawn_at = ? WHERE id = ? AND withdrawn_at IS NULL",
        (now, offer_id),
    )


def _version(row: Row) -> OfferVersion:
    values = dict(row)
    values["cost_model"] = msgspec.json.decode(values["cost_model"], type=CostModel)
    return OfferVersion(**values)


async def versions_of(conn: Connection, offer_id: int) -> list[OfferVersion]:
    rows = await _all(
        conn,
        f"SELECT {_VERSION_COLUMNS} FROM offer_versions WHERE offer_id = ?"
        " ORDER BY version",
        (offer_id,),
    )
    return [_version(row) for row in rows]


async def get_version(conn: Connection, version_id: int) -> OfferVersion | None:
    row = await _one(
        conn,
        f"SELECT {_VERSION_COLUMNS} FROM offer_versions WHERE id = ?",
        (version_id,),
    )
    return _version(row) if row else None


async def offer_head(conn: Connection, offer_id: int) -> Row | None:
    return await _one(
        conn,
        "SELECT id, provider_id, service_id, created_at, withdrawn_at, home_node"
        " FROM offers WHERE id = ?",
        (offer_id,),
    )


class OfferFilter(NamedTuple):
    """Which offers to load; ``viewer`` is the provider whose drafts and withdrawn
    offers are visible too (``ALL`` for the operator, None for everybody else)."""

    offer_id: int | None = None
    provider_id: str | None = None
    service_id: int | None = None
    viewer: str | None = None


ALL = "*"
_OFFER_IDS = (
    "SELECT o.id FROM offers o WHERE (:offer_id IS NULL OR o.id = :offer_id)"
    " AND (:provider_id IS NULL OR o.provider_id = :provider_id)"
    " AND (:service_id IS NULL OR o.service_id = :service_id)"
    " AND (:viewer = '*' OR o.provider_id = :viewer OR (o.withdrawn_at IS NULL"
    "  AND EXISTS (SELECT 1 FROM offer_versions pv WHERE pv.offer_id = o.id"
    "  AND pv.status = 'published')))"
    " ORDER BY o.id LIMIT :limit OFFSET :offset"
)


async def get_offer(conn: Connection, offer_id: int) -> Offer | None:
    found = await load_offers(conn, OfferFilter(offer_id=offer_id, viewer=ALL))
    return found[0] if found else None


async def load_offers(
    conn: Connection, which: OfferFilter, *, limit: int = 1, offset: int = 0
) -> list[Offer]:
    """Offers with provider, service and versions: four queries for a whole page."""
    params = {**which._asdict(), "limit": limit, "offset": offset}
    heads = await _all(
        conn,
        "SELECT id, provider_id, service_id, created_at, withdrawn_at, home_node"
        f" FROM offers WHERE id IN ({_OFFER_IDS}) ORDER BY id",
        params,
    )
    if not heads:
        return []
    providers = {
        row["id"]: Provider(**dict(row))
        for row in await _all(
            conn,
            "SELECT id, name, kind, land_code, website FROM providers WHERE id IN"
            f" (SELECT provider_id FROM offers WHERE id IN ({_OFFER_IDS}))",
            params,
        )
    }
    services = {
        row["id"]: _service(row)
        for row in await _all(
            conn,
            f"SELECT {_SERVICE_COLUMNS} FROM services s WHERE s.id IN"
            f" (SELECT service_id FROM offers WHERE id IN ({_OFFER_IDS}))",
            params,
        )
    }
    versions: dict[int, list[OfferVersion]] = {}
    for row in await _all(
        conn,
        f"SELECT {_VERSION_COLUMNS} FROM offer_versions"
        f" WHERE offer_id IN ({_OFFER_IDS}) ORDER BY offer_id, version",
        params,
    ):
        versions.setdefault(row["offer_id"], []).append(_version(row))
    return [
        Offer(
            id=head["id"],
            provider=providers[head["provider_id"]],
            service=services[head["service_id"]],
            created_at=head["created_at"],
            withdrawn_at=head["withdrawn_at"],
            versions=versions.get(head["id"], []),
            home_node=head["home_node"],
        )
        for head in heads
    ]
