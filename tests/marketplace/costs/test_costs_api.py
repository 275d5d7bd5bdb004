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
