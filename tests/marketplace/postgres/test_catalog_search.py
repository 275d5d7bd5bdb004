"""Catalog read and search answer the same on PostgreSQL as on SQLite.

Both databases get the demo catalog through the same seed; every query is asked
of both. Totals, facet counts and the set of hits must be equal; without a text
the order must be equal too. With a text, PostgreSQL has no bm25 statistics
(migrations_pg/0001_core.sql): full-word matches come before part-of-word
matches on both, but within those groups the order may differ.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import msgspec
import pytest
import pytest_asyncio

from marketplace.catalog import repository, service
from marketplace.catalog.schemas import OfferIn, SearchPage, SearchQuery
from marketplace.db import Database
from marketplace.db.postgres import PostgresDatabase
from marketplace.demo import seed_demo
from marketplace.identity import service as identity
from tests.marketplace.catalog.helpers import offer_body
from tests.support.postgres import PostgresServer

pytestmark = pytest.mark.asyncio(loop_scope="module")

QUERIES = [
    SearchQuery(),
    SearchQuery(per_page=100),
    SearchQuery(page=2, per_page=5),
    SearchQuery(land="14"),
    SearchQuery(maturity=3, per_page=50),
    SearchQuery(price_band="kostenfrei"),
    SearchQuery(q="park"),
    SearchQuery(q="Bewohner"),
    SearchQuery(q="fuhrung"),
    SearchQuery(q="Führungszeugnis"),
    SearchQuery(q="strasse"),
    SearchQuery(q="Gewerbe anmelden"),
    SearchQuery(q="park", land="14"),
    SearchQuery(q="ab"),
    SearchQuery(q="a b"),
    SearchQuery(q="'; --"),
    SearchQuery(q="ä ö ü ß"),
    SearchQuery(q="123"),
    SearchQuery(q="Kita", per_page=50),
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def both(
    pg_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Database, Database]]:
    folder = tmp_path_factory.mktemp("catalog-contract")
    sqlite = Database(folder / "app.sqlite3", readers=1)
    pg = PostgresDatabase(pg_server.fresh(), path=folder / "pg", connections=2)
    async with sqlite, pg:
        assert await seed_demo(sqlite) == await seed_demo(pg)
        yield sqlite, pg


def _essence(page: SearchPage, *, ordered: bool) -> tuple[object, ...]:
    hits = [(h.service_title, h.provider_id, h.version) for h in page.hits]
    facets = {
        name: {(v.value, v.count) for v in values}
        for name, values in page.facets.items()
    }
    return (page.total, facets, hits if ordered else sorted(hits))


@pytest.mark.parametrize("query", QUERIES, ids=lambda q: f"q={q.q!r},{q.land},{q.page}")
async def test_same_answers_on_both_databases(
    both: tuple[Database, Database], query: SearchQuery
) -> None:
    """GIVEN the demo catalog in SQLite and in PostgreSQL WHEN the same search is
    asked of both THEN the totals, facets and hits are the same (the order too
    when there is no text to rank by)."""
    sqlite, pg = both
    ordered = not query.q
    if not ordered:  # all hits on one page: a page of equal ranks may differ
        query = msgspec.structs.replace(query, per_page=100)
    expected = await service.search_catalog(sqlite, None, query)
    found = await service.search_catalog(pg, None, query)
    assert _essence(found, ordered=ordered) == _essence(expected, ordered=ordered)


async def test_the_demo_catalog_is_read_alike(both: tuple[Database, Database]) -> None:
    """GIVEN the demo catalog in both databases WHEN providers, services,
    municipalities and offers are listed THEN the lists are equal, and not empty."""
    sqlite, pg = both
    for read in (service.providers, service.services, service.laender):
        expected = await read(sqlite)
        assert expected
        assert await read(pg) == expected
    expected_offers = _timeless(await service.offers(sqlite, None))
    assert len(expected_offers) > 10
    assert _timeless(await service.offers(pg, None)) == expected_offers


def _timeless(value: object) -> object:
    """Without the ``*_at`` stamps: the two databases were seeded moments apart."""
    match msgspec.to_builtins(value):
        case dict() as found:
            return {k: _timeless(v) for k, v in found.items() if not k.endswith("_at")}
        case list() as items:
            return [_timeless(item) for item in items]
        case other:
            return other


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def workers(
    pg_server: PostgresServer, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[tuple[Database, Database]]:
    """Two workers' databases (each with its own search cache and quoter memo)
    on one PostgreSQL database holding the demo catalog."""
    folder = tmp_path_factory.mktemp("catalog-workers")
    url = pg_server.fresh()
    one = PostgresDatabase(url, path=folder / "one", connections=2)
    two = PostgresDatabase(url, path=folder / "two", connections=2)
    async with one, two:
        await seed_demo(one)
        yield one, two


async def test_a_page_cached_by_one_worker_shows_another_workers_change(
    workers: tuple[Database, Database],
) -> None:
    """GIVEN a page and a buyer's prices that worker one answered twice (so from
    its cache) WHEN worker two publishes an offer and then changes Sachsen's
    population THEN worker one's next answers show the offer and the new prices:
    the catalog generation is a committed row every worker reads."""
    one, two = workers
    query = SearchQuery(per_page=100)  # the whole demo catalog
    buyer = await identity.authenticate(one, "leipzig-einkauf", "demo-leipzig")
    await service.search_catalog(one, buyer, query)
    before = await service.search_catalog(one, buyer, query)
    operator = await identity.authenticate(two, "betrieb", "demo-betrieb")
    data = msgspec.convert(
        offer_body(title="Parkraum Westwerk", provider_id="dataport"), OfferIn
    )
    offer = await service.create_offer(two, operator, data)
    await service.publish(two, operator, offer.id, 1)
    after = await service.search_catalog(one, buyer, query)
    assert after.total == before.total + 1
    assert "Parkraum Westwerk" in [hit.title for hit in after.hits]

    land = next(x for x in await service.laender(two) if x.code == "14")
    async with two.transaction() as conn:
        halved = msgspec.structs.replace(land, population=land.population // 2)
        await repository.upsert_land(conn, halved)
    repriced = await service.search_catalog(one, buyer, query)
    quotes = {hit.offer_version_id: hit.my_quote for hit in after.hits}
    shared = [
        hit
        for hit in repriced.hits
        if hit.my_quote is not None
        and any(item.kind == "land_share" for item in hit.my_quote.items)
    ]
    assert shared  # some demo offers split a Land-level total
    assert all(hit.my_quote != quotes[hit.offer_version_id] for hit in shared)
