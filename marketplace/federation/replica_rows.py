"""SQL of the replica: other nodes' providers, services and offers in the catalog
tables, marked with their home node.

Applying is idempotent and independent of arrival order: a version already held
is skipped, the current version is always the highest published one, and a
tombstone is kept even before the offer's versions arrive. So a peer that
received the same set of entries holds the same catalog.
"""

from __future__ import annotations

import hashlib
import json

import msgspec

from marketplace.catalog import repository as catalog_rows
from marketplace.catalog.schemas import ServiceIn
from marketplace.db import Connection
from marketplace.federation.schemas import (
    CatalogDigest,
    OfferVersionEntry,
    OfferWithdrawnEntry,
)


class ReplicaConflict(Exception):
    """An entry claims something this node holds under another home node."""


async def _scalar(conn: Connection, sql: str, params: tuple[object, ...]) -> object:
    async with conn.execute(sql, params) as cur:
        row = await cur.fetchone()
    return row[0] if row else None


async def _provider(conn: Connection, node: str, entry: OfferVersionEntry) -> None:
    data = entry.provider
    async with conn.execute(
        "SELECT home_node FROM providers WHERE id = ?", (data.id,)
    ) as cur:
        row = await cur.fetchone()
    if row is None:
        await conn.execute(
            "INSERT INTO providers (id, name, kind, land_code, website, created_at,"
            " home_node) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                data.id,
                data.name,
                data.kind,
                data.land_code,
                data.website,
                entry.at,
                node,
            ),
        )
    elif row[0] != node:
        owner = "diesem Knoten" if row[0] is None else f"Knoten „{row[0]}“"
        raise ReplicaConflict(f"Der Anbieter „{data.id}“ gehört zu {owner}.")


async def _service(conn: Connection, node: str, entry: OfferVersionEntry) -> int:
    """Services are matched by LeiKa key; an unknown one is added."""
    found = await catalog_rows.service_id_for_leika(conn, entry.service.leika_key)
    if found is not None:
        return found
    data = msgspec.convert(msgspec.structs.asdict(entry.service), ServiceIn)
    service_id = await catalog_rows.insert_service(conn, data, entry.at)
    await conn.execute(
        "UPDATE services SET home_node = ? WHERE id = ?", (node, service_id)
    )
    return service_id


async def _offer(conn: Connection, node: str, entry: OfferVersionEntry) -> int:
    found = await _scalar(
        conn,
        "SELECT id FROM offers WHERE home_node = ? AND home_offer_id = ?",
        (node, entry.offer_id),
    )
    if found is not None:
        return int(str(found))
    service_id = await _service(conn, node, entry)
    cursor = await conn.execute(
        "INSERT INTO offers (provider_id, service_id, created_at, home_node,"
        " home_offer_id) VALUES (?, ?, ?, ?, ?)",
        (entry.provider.id, service_id, entry.at, node, entry.offer_id),
    )
    return int(cursor.lastrowid or 0)


async def apply_version(conn: Connection, node: str, entry: OfferVersionEntry) -> bool:
    """Hold the version (False if it was held already) and make the highest
    published version current unless the offer is withdrawn."""
    await _provider(conn, node, entry)
    offer_id = await _offer(conn, node, entry)
    v = entry.version
    if await _scalar(
        conn,
        "SELECT 1 FROM offer_versions WHERE offer_id = ? AND version = ?",
        (offer_id, v.version),
    ):
        return False
    cursor = await conn.execute(
        "INSERT INTO offer_versions (offer_id, version, status, title, description,"
        " land_code, legal_route, cost_model, contract_template, notice_period_months,"
        " created_at, published_at, reference_annual_cents, home_version_id)"
        " VALUES (?, ?, 'published', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            offer_id,
            v.version,
            v.title,
            v.description,
            v.land_code,
            v.legal_route,
            msgspec.json.encode(v.cost_model).decode(),
            v.contract_template,
            v.notice_period_months,
            v.published_at,
            v.published_at,
            v.reference_annual_cents,
            v.id,
        ),
    )
    await _refresh_current(conn, node, entry.offer_id, offer_id)
    return cursor.rowcount == 1


async def _refresh_current(
    conn: Connection, node: str, home_offer_id: int, offer_id: int
) -> None:
    withdrawn = await _scalar(
        conn,
        "SELECT withdrawn_at FROM federation_tombstones"
        " WHERE home_node = ? AND home_offer_id = ?",
        (node, home_offer_id),
    )
    if withdrawn is not None:
        await catalog_rows.mark_withdrawn(conn, offer_id, str(withdrawn))
        await catalog_rows.remove_current(conn, offer_id)
        return
    newest = await _scalar(
        conn,
        "SELECT id FROM offer_versions WHERE offer_id = ? AND status = 'published'"
        " ORDER BY version DESC LIMIT 1",
        (offer_id,),
    )
    current = await _scalar(
        conn,
        "SELECT offer_version_id FROM catalog_current WHERE offer_id = ?",
        (offer_id,),
    )
    if newest is not None and newest != current:
        await catalog_rows.set_current(conn, offer_id, int(str(newest)))


async def apply_withdrawn(
    conn: Connection, node: str, entry: OfferWithdrawnEntry
) -> bool:
    cursor = await conn.execute(
        "INSERT OR IGNORE INTO federation_tombstones (home_node, home_offer_id,"
        " withdrawn_at) VALUES (?, ?, ?)",
        (node, entry.offer_id, entry.withdrawn_at),
    )
    offer_id = await _scalar(
        conn,
        "SELECT id FROM offers WHERE home_node = ? AND home_offer_id = ?",
        (node, entry.offer_id),
    )
    if offer_id is not None:
        await _refresh_current(conn, node, entry.offer_id, int(str(offer_id)))
    return cursor.rowcount == 1


async def digest(conn: Connection, me: str) -> CatalogDigest:
    """Hash of every offer with its home node and id there, its published
    versions (number and title) and whether it is withdrawn, in a fixed order."""
    async with conn.execute(
        "SELECT COALESCE(o.home_node, ?) AS node, COALESCE(o.home_offer_id, o.id)"
        " AS offer, o.withdrawn_at IS NOT NULL AS gone,"
        " json_group_array(v.version || ':' || v.title) AS versions"
        " FROM offers o JOIN offer_versions v ON v.offer_id = o.id"
        " AND v.status = 'published' GROUP BY o.id ORDER BY node, offer",
        (me,),
    ) as cur:
        rows = list(await cur.fetchall())
    hasher = hashlib.sha256()
    by_node: dict[str, int] = {}
    for row in rows:
        versions = sorted(json.loads(row["versions"]))
        line = [row["node"], row["offer"], bool(row["gone"]), versions]
        hasher.update(json.dumps(line, ensure_ascii=False).encode() + b"\n")
        by_node[row["node"]] = by_node.get(row["node"], 0) + 1
    return CatalogDigest(sha256=hasher.hexdigest(), offers=len(rows), by_node=by_node)
