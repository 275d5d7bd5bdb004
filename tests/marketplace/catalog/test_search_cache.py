"""Cached search pages and buyers' quotes are never stale: every change to the
catalog (publishing, a new version, withdrawing, another node's replica entry,
a commit by another process on the same file) shows on the next search of a
page that was cached before it, and a change to the municipalities' data shows
in the next quotes. And a page asked for again costs one query."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import msgspec
from litestar import Litestar
from litestar.testing import AsyncTestClient

from marketplace.catalog import repository, service
from marketplace.catalog.schemas import OfferIn, OfferVersionIn, SearchQuery
from marketplace.catalog.search_cache import SearchCache
from marketplace.costs.schemas import CostModel
from marketplace.costs.service import Quoter
from marketplace.db import Database
from marketplace.federation import replica_rows
from marketplace.identity import service as identity
from marketplace.settings import Settings
from tests.marketplace.catalog.helpers import offer_body, version_body
from tests.marketplace.federation.crafted import LEIKA, CraftedPeer

Client = AsyncTestClient[Litestar]
Headers = dict[str, dict[str, str]]
SEARCH = "/api/v1/catalog/search"
# Pages a visitor may have looked at before the change: a text, a text on its
# second page, a facet filter without text, and the whole catalog.
PAGES: list[dict[str, Any]] = [
    {"q": "Bewohnerpark"},
    {"q": "park", "per_page": 1, "page": 2},
    {"topic": "Mobilität & Reisen", "per_page": 100},
    {"per_page": 100},
]


async def _search(
    client: Client, *, headers: dict[str, str] | None = None, **params: Any
) -> dict[str, Any]:
    response = await client.get(SEARCH, params=params, headers=headers or {})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def _titles(page: dict[str, Any]) -> list[str]:
    return [hit["title"] for hit in page["hits"]]


def _facet(page: dict[str, Any], name: str) -> dict[str, int]:
    return {v["value"]: v["count"] for v in page["facets"].get(name, [])}


async def _cache_all(client: Client) -> list[dict[str, Any]]:
    """Every page of ``PAGES``, asked twice so that it is answered from the cache."""
    for params in PAGES:
        await _search(client, **params)
    return [await _search(client, **params) for params in PAGES]


async def _publish_new_offer(
    client: Client, operator: dict[str, str], title: str
) -> int:
    """A Dataport offer of the Bewohnerparkausweis (topic Mobilität & Reisen)."""
    created = await client.post(
        "/api/v1/offers",
        json=offer_body(title=title, provider_id="dataport"),
        headers=operator,
    )
    assert created.status_code == 201, created.text
    offer_id: int = created.json()["id"]
    published = await client.post(
        f"/api/v1/offers/{offer_id}/versions/1/publish", headers=operator
    )
    assert published.status_code == 200, published.text
    return offer_id


async def test_a_repeated_search_reads_only_the_generation(
    client: Client, demo: Database, auth: Headers
) -> None:
    """GIVEN a search answered once WHEN the same page is asked again THEN the only
    statement is the read of the catalog generation (for a buyer also the token
    and the quoter's data state); another page of the same query recounts no
    facets."""
    statements: list[str] = []
    readers = list(demo._all_readers)  # observed, not changed
    for conn in readers:
        await conn.set_trace_callback(statements.append)
    try:
        await _search(client, q="park", per_page=2)
        statements.clear()
        await _search(client, q="Park", per_page=2)  # same words, other case
        anonymous = list(statements)
        statements.clear()
        await _search(client, q="park", per_page=2, page=2)
        next_page = list(statements)
        await _search(client, headers=auth["leipzig"], q="park", per_page=2)
        statements.clear()
        await _search(client, headers=auth["leipzig"], q="park", per_page=2)
        buyer = list(statements)
    finally:
        for conn in readers:
            await conn.set_trace_callback(None)
    assert anonymous == ["SELECT generation FROM catalog_generation"]
    assert not any("'total'" in s for s in next_page)  # the facet query
    assert any("bm25" in s for s in next_page)  # the hits themselves are read
    statements = [s for s in buyer if not s.startswith("--")]  # not pragma internals
    assert len(statements) == 3  # the token, the generation, the quoter's state
    assert "FROM api_tokens" in statements[0]
    assert statements[1] == anonymous[0]
    assert "data_version" in statements[2]


async def test_publishing_and_withdrawing_reach_every_cached_page(
    client: Client, demo: Database, auth: Headers
) -> None:
    """GIVEN pages held in the cache (text, second page, facet filter, whole
    catalog; anonymous and a buyer's) WHEN an offer is published, gets a new
    version, and is withdrawn THEN after each step every page shows the change:
    totals, facet counts, hits and the buyer's price of the new version."""
    before = await _cache_all(client)
    buyer_before = await _search(client, headers=auth["leipzig"], q="Bewohnerpark")
    offer_id = await _publish_new_offer(client, auth["operator"], "Parkraum Nordlicht")

    after = [await _search(client, **params) for params in PAGES]
    for old, new in zip(before, after, strict=True):
        assert new["total"] == old["total"] + 1
    assert "Parkraum Nordlicht" in _titles(after[0])
    assert "Parkraum Nordlicht" in _titles(after[2])
    topics = _facet(after[3], "topic")
    assert (
        topics["Mobilität & Reisen"]
        == _facet(before[3], "topic")["Mobilität & Reisen"] + 1
    )
    buyer = await _search(client, headers=auth["leipzig"], q="Bewohnerpark")
    assert buyer["total"] == buyer_before["total"] + 1
    mine = [h for h in buyer["hits"] if h["offer_id"] == offer_id]
    assert mine
    assert mine[0]["my_quote"]["annual_cents"] == 100_000

    url = f"/api/v1/offers/{offer_id}"
    changed = version_body(
        title="Parkraum Südlicht",
        cost_model={
            "components": [
                {"kind": "annual_flat", "label": "Betrieb", "amount_cents": 250_000}
            ]
        },
    )
    await client.post(f"{url}/versions", json=changed, headers=auth["operator"])
    await client.post(f"{url}/versions/2/publish", headers=auth["operator"])
    renewed = await _search(client, **PAGES[0])
    assert "Parkraum Südlicht" in _titles(renewed)
    assert "Parkraum Nordlicht" not in _titles(renewed)
    buyer = await _search(client, headers=auth["leipzig"], q="Bewohnerpark")
    mine = [h for h in buyer["hits"] if h["offer_id"] == offer_id]
    assert [h["my_quote"]["annual_cents"] for h in mine] == [250_000]

    await client.post(f"{url}/withdraw", headers=auth["operator"])
    gone = [await _search(client, **params) for params in PAGES]
    assert [page["total"] for page in gone] == [page["total"] for page in before]
    assert all("Parkraum Südlicht" not in _titles(page) for page in gone)


async def test_a_commit_by_another_process_is_seen(
    client: Client, demo: Database, settings: Settings
) -> None:
    """GIVEN a cached page WHEN another process (its own connections to the same
    file, like ``marketplace seed`` beside a running server) publishes an offer
    THEN the app's next search shows it."""
    first = await _cache_all(client)
    async with Database(settings.db_path, readers=1) as other:
        operator = await identity.authenticate(other, "betrieb", "demo-betrieb")
        data = msgspec.convert(
            offer_body(title="Parkraum von nebenan", provider_id="dataport"), OfferIn
        )
        offer = await service.create_offer(other, operator, data)
        await service.publish(other, operator, offer.id, 1)
    page = await _search(client, **PAGES[0])
    assert page["total"] == first[0]["total"] + 1
    assert "Parkraum von nebenan" in _titles(page)


async def test_replica_entries_from_another_node_reach_cached_pages(
    client: Client, demo: Database
) -> None:
    """GIVEN a cached page of all offers WHEN another node's offer arrives, then a
    second version of it, then its tombstone (applied as the federation pull
    applies them) THEN each shows on the next search."""
    peer = CraftedPeer("nachbar")
    whole: dict[str, Any] = {"per_page": 100}
    before = await _search(client, **whole)
    await _search(client, **whole)
    for entry in (peer.entry(1, 3), peer.entry(2, 3, version=2)):
        async with demo.transaction() as conn:
            await replica_rows.apply_version(conn, "nachbar", entry)
        title = entry.version.title
        page = await _search(client, **whole)
        assert page["total"] == before["total"] + 1
        replicated = [h for h in page["hits"] if h["home_node"] == "nachbar"]
        assert [h["title"] for h in replicated] == [title]
    assert LEIKA[3] in {h["leika_key"] for h in replicated}
    async with demo.transaction() as conn:
        await replica_rows.apply_withdrawn(conn, "nachbar", peer.tombstone(3, 3))
    page = await _search(client, **whole)
    assert page["total"] == before["total"]
    assert all(h["home_node"] != "nachbar" for h in page["hits"])


async def test_buyers_quotes_follow_a_change_of_the_population_data(
    client: Client, demo: Database, auth: Headers, settings: Settings
) -> None:
    """GIVEN Leipzig's prices beside cached hits (a page the catalog generation
    keeps) WHEN Sachsen's population is updated (as ``seed`` does) THEN the next
    search prices the Land's share anew: the page is the same, the quote is the
    one a fresh quoter gives, not the one kept before."""
    params: dict[str, Any] = {"per_page": 100}
    await _search(client, headers=auth["leipzig"], **params)
    before = await _search(client, headers=auth["leipzig"], **params)
    shared = [h for h in before["hits"] if _has_land_share(h)]
    assert shared
    async with demo.read() as conn:
        units = await conn.execute_fetchall(
            "SELECT SUM(population) FROM municipalities WHERE land_code = '14'"
            " AND kind IN ('stadtstaat', 'kreisfreie_stadt', 'landkreis')"
        )
    land = next(x for x in await service.laender(demo) if x.code == "14")
    async with demo.transaction() as conn:
        smaller = msgspec.structs.replace(land, population=int(next(iter(units))[0]))
        await repository.upsert_land(conn, smaller)
    after = await _search(client, headers=auth["leipzig"], **params)
    assert [h["offer_version_id"] for h in after["hits"]] == [
        h["offer_version_id"] for h in before["hits"]
    ]
    changed = {h["offer_version_id"]: h["my_quote"] for h in after["hits"]}
    async with Database(settings.db_path, readers=1) as fresh, fresh.read() as conn:
        quoter = await Quoter.for_municipality(conn, "14713000")
        for hit in shared:
            model = msgspec.convert(hit["cost_model"], type=CostModel)
            expected = msgspec.to_builtins(quoter.quote(model))
            assert changed[hit["offer_version_id"]] == expected
            assert expected != hit["my_quote"]


def _has_land_share(hit: dict[str, Any]) -> bool:
    return any(item["kind"] == "land_share" for item in hit["my_quote"]["items"])


async def test_searches_beside_publishing_never_see_an_older_catalog(
    demo: Database,
) -> None:
    """GIVEN searches running all the time on both reader connections (each
    filling the cache with what its snapshot saw) WHEN an offer is published in
    new versions one after another THEN every search that starts after a publish
    has returned shows that version or a newer one, never an older."""
    operator = await identity.authenticate(demo, "betrieb", "demo-betrieb")
    data = msgspec.convert(offer_body(title="Welle 0", provider_id="dataport"), OfferIn)
    offer = await service.create_offer(demo, operator, data)
    await service.publish(demo, operator, offer.id, 1)
    query = SearchQuery(provider="dataport", per_page=100)
    published = 1
    stop = asyncio.Event()

    def wave(page: Any) -> int:
        (title,) = [h.title for h in page.hits if h.offer_id == offer.id]
        return int(title.split()[1])

    async def searcher() -> None:
        while not stop.is_set():
            floor = published - 1  # the wave published when this search began
            assert wave(await service.search_catalog(demo, None, query)) >= floor
            await asyncio.sleep(0)

    searchers = [asyncio.create_task(searcher()) for _ in range(4)]
    try:
        for n in range(1, 16):
            body = msgspec.convert(version_body(title=f"Welle {n}"), OfferVersionIn)
            await service.add_version(demo, operator, offer.id, body)
            await service.publish(demo, operator, offer.id, n + 1)
            published = n + 1
            assert wave(await service.search_catalog(demo, None, query)) == n
    finally:
        stop.set()
        await asyncio.gather(*searchers)


async def test_a_page_read_before_a_change_is_not_kept_after_it(
    demo: Database, settings: Settings
) -> None:
    """GIVEN a search whose snapshot was taken before a publish and that is held
    (its reader thread paused by a trace hook) until after another search has
    seen the new generation WHEN it finishes THEN it answers what its snapshot
    saw, but the cache keeps the newer page: the next search shows the offer."""
    cache = SearchCache()
    query = SearchQuery(q="Bewohnerpark")
    entered, release = threading.Event(), threading.Event()

    def pause_at_the_page_query(statement: str) -> None:
        if "bm25" in statement:
            entered.set()
            release.wait(10)

    operator = await identity.authenticate(demo, "betrieb", "demo-betrieb")
    data = msgspec.convert(
        offer_body(title="Parkraum spät", provider_id="dataport"), OfferIn
    )
    offer = await service.create_offer(demo, operator, data)
    async with (
        Database(settings.db_path, readers=2) as other,
        other.read() as slow,
        other.read() as fast,
    ):
        await slow.set_trace_callback(pause_at_the_page_query)
        held = asyncio.create_task(cache.page(slow, query))
        assert await asyncio.to_thread(entered.wait, 10)
        await service.publish(demo, operator, offer.id, 1)
        newer = await cache.page(fast, query)
        release.set()
        older = await held
        await slow.set_trace_callback(None)
        again = await cache.page(fast, query)
    assert "Parkraum spät" not in [hit.title for hit in older.hits]
    assert older.total == newer.total - 1
    assert "Parkraum spät" in [hit.title for hit in again.hits]
    assert again.total == newer.total
