"""The calculator endpoints with a real app and database."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.marketplace.conftest import SeedOffer


async def test_quote_for_an_offer_version(
    client: AsyncTestClient[Litestar], seed_offer: SeedOffer
) -> None:
    """GIVEN a published offer (150 € one-off, 2,400 € a year) WHEN Leipzig asks
    THEN 2,400 € a year and 3,900 € in the first year, itemised."""
    version_id = await seed_offer()
    response = await client.get(
        f"/api/v1/offer-versions/{version_id}/quote", params={"ags": "14713000"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["annual_cents"] == 240_000
    assert body["first_year_cents"] == 390_000
    assert [item["kind"] for item in body["items"]] == ["one_off", "annual_flat"]


async def test_quote_refuses_unknown_and_malformed_input(
    client: AsyncTestClient[Litestar], seed_offer: SeedOffer
) -> None:
    """GIVEN bad AGS, unknown municipality, unknown version or absurd case numbers
    THEN German problems, never a 500."""
    version_id = await seed_offer()
    url = f"/api/v1/offer-versions/{version_id}/quote"
    bad_format = await client.get(url, params={"ags": "1471300"})
    assert bad_format.status_code == 400
    unknown = await client.get(url, params={"ags": "09162000"})
    assert unknown.status_code == 404
    assert "09162000" in unknown.json()["detail"]
    absurd = await client.get(url, params={"ags": "14713000", "expected_cases": -5})
    assert absurd.status_code == 400
    missing = await client.get(
        "/api/v1/offer-versions/999/quote", params={"ags": "14713000"}
    )
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")


async def test_ad_hoc_model_is_validated(
    client: AsyncTestClient[Litestar], seed_offer: SeedOffer
) -> None:
    """GIVEN tiers whose last tier is closed, or an unknown key year THEN 422."""
    await seed_offer()
    closed = {
        "ags": "14713000",
        "cost_model": {
            "components": [
                {
                    "kind": "per_case",
                    "label": "Fälle",
                    "tiers": [{"up_to": 10, "cents_per_case": 5}],
                }
            ]
        },
    }
    response = await client.post("/api/v1/costs/quote", json=closed)
    assert response.status_code == 422
    assert "offen" in response.json()["detail"]
    year = {
        "ags": "14713000",
        "cost_model": {
            "components": [
                {
                    "kind": "land_share",
                    "label": "L",
                    "annual_total_cents": 100,
                    "key_year": 1999,
                }
            ]
        },
    }
    assert (await client.post("/api/v1/costs/quote", json=year)).status_code == 400
    year["cost_model"]["components"][0]["key_year"] = 2030  # type: ignore[index]
    response = await client.post("/api/v1/costs/quote", json=year)
    assert response.status_code == 422
    assert "2016" in response.json()["detail"]


async def test_land_share_split_for_a_gemeinde_inside_a_landkreis(
    client: AsyncTestClient[Litestar], seed_offer: SeedOffer
) -> None:
    """GIVEN Saxony with Leipzig, the Landkreis Leipzig and one of its Gemeinden
    WHEN the Gemeinde asks for a Land-level total THEN it gets a share of its
    Landkreis's part, and Leipzig + Landkreis + rest add up to Saxony's part."""
    await seed_offer()
    app_db = client.app.state.db
    async with app_db.transaction() as conn:
        await conn.execute(
            "INSERT INTO municipalities (ags, name, kind, land_code, population) VALUES"
            " ('14729000', 'Landkreis Leipzig', 'landkreis', '14', 250000),"
            " ('14729140', 'Borna', 'gemeinde', '14', 19000)"
        )
    model = {
        "components": [
            {"kind": "land_share", "label": "L", "annual_total_cents": 100_000_000}
        ]
    }
    parts = {}
    for ags in ("14713000", "14729000", "14729140"):
        response = await client.post(
            "/api/v1/costs/quote", json={"ags": ags, "cost_model": model}
        )
        assert response.status_code == 200, response.text
        parts[ags] = response.json()["annual_cents"]
    saxony = 100_000_000 * 505_577 // 10_000_000 + 1  # 5.05577 %, largest remainder
    assert parts["14713000"] + parts["14729000"] < saxony
    assert 0 < parts["14729140"] < parts["14729000"]
    assert abs(parts["14729140"] - parts["14729000"] * 19000 // 250000) <= 1


async def test_keys_are_published(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/api/v1/costs/keys")
    years = {key["year"] for key in response.json()}
    assert 2016 in years


async def test_malformed_models_get_german_problems_and_change_nothing(
    client: AsyncTestClient[Litestar], seed_offer: SeedOffer
) -> None:
    """GIVEN broken JSON, unknown fields, unknown component kinds, negative or
    absurd amounts, absurd case numbers WHEN posted THEN 400 problem responses in
    German, and the catalog still holds exactly the rows it held before."""
    await seed_offer()
    app_db = client.app.state.db

    async def counts() -> tuple[int, ...]:
        async with app_db.read() as conn:
            result = []
            for table in ("municipalities", "offer_versions", "laender"):
                async with conn.execute(f"SELECT count(*) FROM {table}") as cur:  # noqa: S608
                    row = await cur.fetchone()
                    result.append(row[0])
            return tuple(result)

    before = await counts()
    flat = {"kind": "annual_flat", "label": "Betrieb", "amount_cents": 100}
    ok = {"ags": "14713000", "cost_model": {"components": [flat]}}
    cases: list[tuple[dict[str, object], str]] = [
        ({**ok, "extra": 1}, "Unbekanntes Feld „extra“"),
        (
            {**ok, "cost_model": {"components": [{**flat, "colour": "rot"}]}},
            "Unbekanntes Feld „colour“",
        ),
        (
            {**ok, "cost_model": {"components": [{**flat, "kind": "gratis"}]}},
            "components[0].kind",
        ),
        (
            {**ok, "cost_model": {"components": [{**flat, "amount_cents": -1}]}},
            "mindestens 0",
        ),
        (
            {**ok, "cost_model": {"components": [{**flat, "amount_cents": 10**15}]}},
            "höchstens",
        ),
        ({**ok, "cost_model": {"components": []}}, "Zu kurz"),
        ({**ok, "expected_cases": -1}, "„expected_cases“"),
        ({**ok, "expected_cases": 10**12}, "höchstens 100000000"),
        ({**ok, "ags": "1471300X"}, "Format"),
    ]
    for body, german in cases:
        response = await client.post("/api/v1/costs/quote", json=body)
        assert response.status_code == 400, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert german in response.json()["detail"], response.text
    broken = await client.post(
        "/api/v1/costs/quote",
        content=b'{"ags": "14713000", "cost_model": {',
        headers={"content-type": "application/json"},
    )
    assert broken.status_code == 400
    assert "fehlerhaft" in broken.json()["detail"]
    assert await counts() == before


async def test_quote_for_a_draft_version_is_not_found(
    client: AsyncTestClient[Litestar], seed_offer: SeedOffer
) -> None:
    """GIVEN an offer version that is still a draft THEN no price is published."""
    version_id = await seed_offer()
    async with client.app.state.db.transaction() as conn:
        await conn.execute(
            "INSERT INTO offer_versions (offer_id, version, status, title, description,"
            " legal_route, cost_model, contract_template, notice_period_months,"
            " created_at) SELECT offer_id, 2, 'draft', title, description,"
            " legal_route, cost_model, contract_template, 6, created_at"
            " FROM offer_versions WHERE id = ?",
            (version_id,),
        )
        async with conn.execute("SELECT max(id) FROM offer_versions") as cur:
            row = await cur.fetchone()
    response = await client.get(
        f"/api/v1/offer-versions/{row[0]}/quote", params={"ags": "14713000"}
    )
    assert response.status_code == 404
    assert "Angebotsversion" in response.json()["detail"]


async def test_expected_cases_change_the_per_case_item(
    client: AsyncTestClient[Litestar], seed_offer: SeedOffer
) -> None:
    """GIVEN a graduated per-case model WHEN 2,500 cases are expected THEN 1,000 at
    the first tier and 1,500 at the second, explained in German."""
    await seed_offer()
    model = {
        "components": [
            {
                "kind": "per_case",
                "label": "Fälle",
                "tiers": [
                    {"up_to": 1000, "cents_per_case": 120},
                    {"cents_per_case": 80},
                ],
            }
        ]
    }
    response = await client.post(
        "/api/v1/costs/quote",
        json={"ags": "14713000", "cost_model": model, "expected_cases": 2500},
    )
    assert response.status_code == 200, response.text
    item = response.json()["items"][0]
    assert item["annual_cents"] == 1000 * 120 + 1500 * 80
    assert item["explanation"] == (
        "2.500 Fälle pro Jahr: 1.000 × 1,20 € + 1.500 × 0,80 €"
    )


async def test_a_stored_model_with_an_unknown_key_year_is_refused_clearly(
    client: AsyncTestClient[Litestar], seed_offer: SeedOffer
) -> None:
    """GIVEN a published version whose stored model names a key year this release
    does not bundle WHEN it is priced THEN a German 422, not a server error."""
    version_id = await seed_offer()
    model = (
        '{"components": [{"kind": "land_share", "label": "L",'
        ' "annual_total_cents": 100, "key_year": 2099}]}'
    )
    async with client.app.state.db.transaction() as conn:
        await conn.execute(
            "INSERT INTO offer_versions (offer_id, version, status, title, description,"
            " legal_route, cost_model, contract_template, notice_period_months,"
            " created_at, published_at) SELECT offer_id, 2, 'published', title,"
            " description, legal_route, ?, contract_template, 6, created_at,"
            " created_at FROM offer_versions WHERE id = ?",
            (model, version_id),
        )
        async with conn.execute("SELECT max(id) FROM offer_versions") as cur:
            row = await cur.fetchone()
    response = await client.get(
        f"/api/v1/offer-versions/{row[0]}/quote", params={"ags": "14713000"}
    )
    assert response.status_code == 422
    assert "2099" in response.json()["detail"]
