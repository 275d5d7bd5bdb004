"""Catalog search over the demo data: matching German words, relevance, facets,
filters, pagination, prices, and hostile input. Searching writes nothing, so one
app serves the whole module."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import AsyncTestClient

from marketplace.catalog.search import PRICE_BANDS
from marketplace.db import Database

pytestmark = pytest.mark.asyncio(loop_scope="module")
Client = AsyncTestClient[Litestar]
Headers = dict[str, dict[str, str]]
SEARCH = "/api/v1/catalog/search"


async def search(client: Client, **params: Any) -> dict[str, Any]:
    response = await client.get(SEARCH, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def service_titles(client: Client, q: str) -> set[str]:
    body = await search(client, q=q, per_page=100)
    return {hit["service_title"] for hit in body["hits"]}


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # parts of compounds (trigram index)
        ("park", {"Bewohnerparkausweis", "Besucherparkausweis"}),
        (
            "ausweis",
            {"Bewohnerparkausweis", "Besucherparkausweis"}
            | {"Schwerbehindertenausweis"},
        ),
        ("urkunde", {"Geburtsurkunde", "Eheurkunde", "Sterbeurkunde"}),
        # beginnings of words, any case (word index with prefixes)
        ("Bewohner", {"Bewohnerparkausweis"}),
        ("GEBURTSURK", {"Geburtsurkunde"}),
        ("gewerbe anmeldung", {"Gewerbeanmeldung"}),
        # umlauts and ß typed without them
        ("fuhrungszeugnis", {"Führungszeugnis beantragen"}),
        ("Fuehrungszeugnis", {"Führungszeugnis beantragen"}),
        ("Sondernutzung Strasse", {"Sondernutzungserlaubnis Straße"}),
        # words too short for trigrams
        ("i-Kfz", {"Kfz-Zulassung (i-Kfz)"}),
        # the LeiKa key (illustrative in the demo data)
        ("99990000012000", {"Geburtsurkunde"}),
        ("Quokka", set()),
    ],
)
async def test_german_words_are_found(
    shared_client: Client, q: str, expected: set[str]
) -> None:
    """GIVEN the demo catalog WHEN searching parts, prefixes or transcriptions of
    German words THEN exactly the services meant."""
    assert await service_titles(shared_client, q) == expected


async def test_title_matches_rank_before_body_matches(shared_client: Client) -> None:
    """GIVEN "Umzug" (a title word of one service, a Lebenslage of many) WHEN
    searched THEN the offers with it in the title come first."""
    body = await search(shared_client, q="Umzug", per_page=100)
    titles = [hit["service_title"] for hit in body["hits"]]
    assert body["total"] > 10
    assert titles[:2] == ["Halteverbotszone bei Umzügen"] * 2
    wohngeld = await search(shared_client, q="Wohngeld")
    assert [hit["service_title"] for hit in wohngeld["hits"]] == ["Wohngeld"] * 2


@pytest.mark.parametrize(("q", "total"), [("", 50), ("umzug", 17)])
async def test_facet_counts_add_up_and_filter(
    shared_client: Client, q: str, total: int
) -> None:
    """GIVEN all offers, or those matching a text, WHEN each value of each facet is
    applied as a filter THEN the result count is the count the facet showed, and
    single-valued facets sum up to the total."""
    everything = await search(shared_client, q=q, per_page=100)
    assert everything["total"] == total
    assert len(everything["hits"]) == total
    facets = everything["facets"]
    assert set(facets) == {
        "land",
        "topic",
        "life_situation",
        "provider",
        "maturity",
        "price_band",
    }
    for name in ("topic", "provider", "maturity", "price_band"):
        assert sum(v["count"] for v in facets[name]) == everything["total"], name
    for name, values in facets.items():
        for value in values:
            filtered = await search(shared_client, q=q, **{name: value["value"]})
            assert filtered["total"] == value["count"], (name, value)


async def test_filters_select_what_they_name(shared_client: Client) -> None:
    """GIVEN filters (alone and with text) WHEN searching THEN every hit has them."""
    saxony = await search(shared_client, land="14", q="park")
    assert saxony["total"] == 4
    assert {hit["land_code"] for hit in saxony["hits"]} == {"14"}
    lecos = await search(shared_client, provider="lecos", per_page=100)
    assert {hit["provider_id"] for hit in lecos["hits"]} == {"lecos"}
    mature = await search(shared_client, maturity=4, per_page=100)
    assert {hit["maturity"] for hit in mature["hits"]} == {4}
    key = await search(shared_client, leika_key="99990000001000")
    assert {hit["service_title"] for hit in key["hits"]} == {"Bewohnerparkausweis"}
    assert key["total"] == 3  # offered by three providers side by side
    births = await search(shared_client, life_situation="Geburt", per_page=100)
    birth_services = {hit["service_title"] for hit in births["hits"]}
    assert {"Geburtsurkunde", "Elterngeld"} <= birth_services
    assert "Baugenehmigung" not in birth_services
    labels = {v["value"]: v["label"] for v in lecos["facets"]["land"]}
    assert labels == {"14": "Sachsen"}


@pytest.mark.parametrize(
    ("band", "low", "high"),
    [
        ("kostenfrei", 0, 0),
        ("bis-1000", 1, 100_000),
        ("1000-5000", 100_001, 500_000),
        ("5000-20000", 500_001, 2_000_000),
        ("ueber-20000", 2_000_001, 10**15),
    ],
)
async def test_price_bands_follow_the_reference_price(
    shared_client: Client, band: str, low: int, high: int
) -> None:
    """GIVEN a price band WHEN filtered THEN every hit's stored reference price
    (annual cost for 100,000 inhabitants) lies in it."""
    body = await search(shared_client, price_band=band, per_page=100)
    assert band in PRICE_BANDS
    for hit in body["hits"]:
        assert low <= hit["reference_annual_cents"] <= high, hit["title"]


async def test_free_band_holds_the_offers_the_land_pays(shared_client: Client) -> None:
    body = await search(shared_client, price_band="kostenfrei", per_page=100)
    assert body["total"] >= 5
    for hit in body["hits"]:
        kinds = {c["kind"]: c for c in hit["cost_model"]["components"]}
        assert kinds["land_share"]["land_pays"] is True


async def test_pages_partition_the_results(shared_client: Client) -> None:
    """GIVEN pages of 7 WHEN all are fetched THEN together they are the one-page
    result in the same order, each offer once."""
    whole = await search(shared_client, q="a", per_page=100)
    paged: list[int] = []
    for page in range(1, whole["total"] // 7 + 2):
        body = await search(shared_client, q="a", per_page=7, page=page)
        assert body["total"] == whole["total"]
        paged += [hit["offer_id"] for hit in body["hits"]]
    assert paged == [hit["offer_id"] for hit in whole["hits"]]
    assert len(set(paged)) == whole["total"]


async def test_a_buyer_sees_its_own_price_beside_each_hit(
    shared_client: Client, auth: Headers
) -> None:
    """GIVEN the Leipzig buyer WHEN searching THEN every hit carries Leipzig's quote,
    the same the calculator gives for that version; anonymous callers get none."""
    response = await shared_client.get(
        SEARCH, params={"q": "Wohngeld"}, headers=auth["leipzig"]
    )
    hits = response.json()["hits"]
    assert hits
    assert all(hit["my_quote"]["ags"] == "14713000" for hit in hits)
    assert any(hit["my_quote"]["cost_neutral"] for hit in hits)  # the Land pays
    for hit in hits:
        calculated = await shared_client.get(
            f"/api/v1/offer-versions/{hit['offer_version_id']}/quote",
            params={"ags": "14713000"},
        )
        assert calculated.json() == hit["my_quote"]
    anonymous = await search(shared_client, q="Wohngeld")
    assert all(hit["my_quote"] is None for hit in anonymous["hits"])


async def test_search_costs_the_same_queries_for_any_page_size(
    shared_client: Client, shared_db: Database, auth: Headers
) -> None:
    """GIVEN a buyer's search WHEN the page holds 6 or 50 hits (pages not cached
    yet, facet counts cached) THEN the number of SQL statements is the same (no
    query per hit)."""
    statements: list[str] = []
    readers = list(shared_db._all_readers)  # observed, not changed
    for conn in readers:
        await conn.set_trace_callback(statements.append)
    try:
        numbers = []
        for per_page in (5, 6, 50):  # the first warms the quoter's caches
            statements.clear()
            response = await shared_client.get(
                SEARCH, params={"per_page": per_page}, headers=auth["leipzig"]
            )
            assert len(response.json()["hits"]) == per_page
            numbers.append(len([s for s in statements if "SELECT" in s]))
    finally:
        for conn in readers:
            await conn.set_trace_callback(None)
    assert numbers[1] == numbers[2]
    assert 3 <= numbers[2] <= 12


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    text=st.text(max_size=80),
    facet=st.sampled_from(["topic", "life_situation", "q"]),
)
async def test_hostile_query_strings_never_fail(
    shared_client: Client, text: str, facet: str
) -> None:
    """GIVEN any text (quotes, FTS operators, control characters, any script) WHEN
    searched or used as a facet value THEN a 200 answer or a 400 problem, never a
    server error."""
    response = await shared_client.get(SEARCH, params={facet: text})
    assert response.status_code in (200, 400), response.text
    if response.status_code == 200:
        body = response.json()
        assert body["total"] >= len(body["hits"])


@pytest.mark.parametrize(
    "text",
    [
        *['"', '""', "*", "NEAR(", "a AND", "OR", "^x", "col:wert", "(", "\\"],
        *["'; --", "a", "ab", "a b", "park a", "ä ö ü ß", "123"],
    ],
)
async def test_fts_syntax_is_plain_text(shared_client: Client, text: str) -> None:
    """GIVEN FTS5 operators as the whole query WHEN searched THEN no error."""
    await search(shared_client, q=text)
