"""A small, node-specific catalog for federation tests, the benchmark and the
three-node demo (``marketplace node sample``).

Every node loads the same Länder, municipalities and EfA services (the demo
files: shared reference data, matched across nodes by AGS and LeiKa key) and
its own providers ``<node>-p0``, ``<node>-p1``, ... with ``offers`` published
offers. Offers are written in one transaction through the catalog repository
(the same rows and feed triggers as publishing through the API, but fast
enough for 2,000 offers); accounts per node: ``<node>-betrieb`` (operator),
``<node>-admin`` (provider ``<node>-p0``) and ``<node>-einkauf`` (a
municipality buyer), all with the password ``foederation-<node>``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from marketplace.catalog import repository as catalog_rows
from marketplace.catalog import service as catalog
from marketplace.catalog.schemas import (
    Land,
    MunicipalityIn,
    OfferVersionIn,
    ProviderIn,
    ServiceIn,
)
from marketplace.costs.service import Quoter
from marketplace.db import Connection, Database
from marketplace.demo.seed import SEED_OPERATOR, _data, _each, _entry
from marketplace.federation import feed
from marketplace.identity import repository as identity_rows
from marketplace.identity import service as identity
from marketplace.identity.schemas import Role

BUYER_AGS = ["14713000", "05315000", "14612000", "09162000", "06412000"]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


async def seed_sample(db: Database, *, offers: int, buyer_index: int = 0) -> str:
    """Reference data, this node's providers and offers, and three accounts."""
    async with db.read() as conn:
        node = await feed.node_name(conn)
    async with db.transaction() as conn:
        for land in _data("laender.json")["laender"]:
            await catalog_rows.upsert_land(conn, _entry(land, Land))
    await _each(
        _data("municipalities.json")["municipalities"],
        MunicipalityIn,
        lambda data: catalog.create_municipality(db, SEED_OPERATOR, data),
    )
    await _each(
        _data("services.json")["services"],
        ServiceIn,
        lambda data: catalog.create_service(db, SEED_OPERATOR, data),
    )
    created = await _offers(db, node, offers)
    await _accounts(db, node, BUYER_AGS[buyer_index % len(BUYER_AGS)])
    return f"Knoten {node}: {created} Angebote neu veröffentlicht."


async def _offers(db: Database, node: str, count: int) -> int:
    services = [s for s in await catalog.services(db) if s.id]
    template = _data("nachnutzungsvereinbarung.txt")
    created = 0
    async with db.transaction() as conn:
        quoter = await Quoter.for_reference(conn)
        for index in range(count):
            provider_id = f"{node}-p{index // len(services)}"
            if index % len(services) == 0:
                await _provider(conn, node, provider_id, index // len(services))
            service = services[index % len(services)]
            if await catalog_rows.offer_for(conn, provider_id, service.id):
                continue
            data = _version(node, provider_id, service.title, template, 1)
            offer_id = await catalog_rows.insert_offer(
                conn, provider_id=provider_id, service_id=service.id, now=_now()
            )
            await _publish(conn, quoter, offer_id, 1, data)
            created += 1
    return created


async def _provider(conn: Connection, node: str, provider_id: str, n: int) -> None:
    if await catalog_rows.get_provider(conn, provider_id) is None:
        data = ProviderIn(
            id=provider_id,
            name=f"IT-Dienstleister {n + 1} ({node})",
            kind="public_it_provider",  # type: ignore[arg-type]
        )
        await catalog_rows.insert_provider(conn, data, _now())


def _version(
    node: str, provider_id: str, title: str, template: str, number: int
) -> OfferVersionIn:
    return msgspec.convert(
        {
            "title": f"{title} ({provider_id})",
            "description": f"Betrieb durch {provider_id} am Knoten {node}, "
            f"Version {number}.",
            "legal_route": "direct",
            "cost_model": {
                "components": [
                    {
                        "kind": "annual_flat",
                        "label": "Betrieb (Pauschale)",
                        "amount_cents": 100_000 + 1_000 * number,
                    }
                ]
            },
            "contract_template": template,
            "notice_period_months": 6,
        },
        OfferVersionIn,
    )


async def _publish(
    conn: Connection, quoter: Quoter, offer_id: int, number: int, data: OfferVersionIn
) -> None:
    version_id = await catalog_rows.insert_version(
        conn, offer_id=offer_id, version=number, data=data, now=_now()
    )
    reference = quoter.quote(data.cost_model).annual_cents
    await catalog_rows.mark_published(
        conn, version_id, now=_now(), reference_annual_cents=reference
    )
    await catalog_rows.set_current(conn, offer_id, version_id)


async def change_sample(db: Database, *, count: int) -> int:
    """Publish a new version of ``count`` own offers (the least recently changed
    first): what the benchmark's "1 % of offers change" does."""
    async with db.transaction() as conn:
        node = await feed.node_name(conn)
        quoter = await Quoter.for_reference(conn)
        rows = await conn.execute_fetchall(
            "SELECT o.id, o.provider_id, s.title, MAX(v.version) AS newest"
            " FROM offers o JOIN services s ON s.id = o.service_id"
            " JOIN offer_versions v ON v.offer_id = o.id"
            " WHERE o.home_node IS NULL AND o.withdrawn_at IS NULL"
            " GROUP BY o.id ORDER BY newest, o.id LIMIT ?",
            (count,),
        )
        template = _data("nachnutzungsvereinbarung.txt")
        for row in rows:
            number = int(row["newest"]) + 1
            data = _version(node, row["provider_id"], row["title"], template, number)
            await _publish(conn, quoter, row["id"], number, data)
    return len(list(rows))


async def _accounts(db: Database, node: str, ags: str) -> None:
    wanted = [
        (f"{node}-betrieb", "Betrieb", Role.OPERATOR, None, None),
        (f"{node}-admin", "Anbieter", Role.PROVIDER_ADMIN, f"{node}-p0", None),
        (f"{node}-einkauf", "Einkauf", Role.MUNICIPALITY_BUYER, None, ags),
    ]
    for login, name, role, provider_id, municipality in wanted:
        async with db.read() as conn:
            if await identity_rows.login_exists(conn, login):
                continue
            if provider_id and not await catalog_rows.get_provider(conn, provider_id):
                continue
        await identity.create_user(
            db,
            login=login,
            display_name=f"{name} {node}",
            password=f"foederation-{node}",
            role=role,
            provider_id=provider_id,
            municipality_ags=municipality,
        )
