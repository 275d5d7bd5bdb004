"""Reading the catalog: lists, filters, details and unknown ids. Nothing here
writes, so one app serves the whole module."""

from __future__ import annotations

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

pytestmark = pytest.mark.asyncio(loop_scope="module")
Client = AsyncTestClient[Litestar]
Headers = dict[str, dict[str, str]]


async def test_laender_and_providers(shared_client: Client) -> None:
    """GIVEN the demo WHEN listing Länder and providers THEN all 16 Länder and a
    provider by its id; an unknown provider is a German 404."""
    laender = (await shared_client.get("/api/v1/laender")).json()
    assert sorted(land["code"] for land in laender) == [
        f"{n:02d}" for n in range(1, 17)
    ]
    providers = (await shared_client.get("/api/v1/providers")).json()
    assert "lecos" in {p["id"] for p in providers}
    lecos = (await shared_client.get("/api/v1/providers/lecos")).json()
    assert lecos == {
        "id": "lecos",
        "name": "Lecos GmbH",
        "kind": "public_it_provider",
        "land_code": "14",
        "website": "https://www.lecos-gmbh.de",
    }
    missing = await shared_client.get("/api/v1/providers/gibt-es-nicht")
    assert missing.status_code == 404
    assert "gibt-es-nicht" in missing.json()["detail"]


@pytest.mark.parametrize(
    ("params", "names"),
    [
        ({"land": "14", "name_prefix": "Le"}, ["Leipzig"]),
        ({"land": "14", "name_prefix": "Landkreis L"}, ["Landkreis Leipzig"]),
        ({"name_prefix": "Leip"}, ["Leipzig"]),
        ({"name_prefix": "leip"}, ["Leipzig"]),  # LIKE ignores ASCII case
        ({"name_prefix": "%"}, []),  # literal, not a wildcard
        ({"name_prefix": "_"}, []),
        ({"land": "02"}, ["Hamburg"]),
        ({"land": "04"}, ["Bremen", "Bremerhaven"]),
    ],
)
async def test_municipalities_by_land_and_prefix(
    shared_client: Client, params: dict[str, str], names: list[str]
) -> None:
    found = await shared_client.get("/api/v1/municipalities", params=params)
    assert [m["name"] for m in found.json()] == names


async def test_municipality_pages_and_details(shared_client: Client) -> None:
    """GIVEN 73 demo municipalities WHEN paged by 10 THEN every one once, in name
    order; a detail by AGS; unknown and malformed AGS refused."""
    seen: list[str] = []
    for offset in range(0, 80, 10):
        page = await shared_client.get(
            "/api/v1/municipalities", params={"limit": 10, "offset": offset}
        )
        seen += [m["ags"] for m in page.json()]
    assert len(seen) == len(set(seen)) == 73
    leipzig = (await shared_client.get("/api/v1/municipalities/14713000")).json()
    assert (leipzig["name"], leipzig["kind"], leipzig["land_code"]) == (
        "Leipzig",
        "kreisfreie_stadt",
        "14",
    )
    unknown = await shared_client.get("/api/v1/municipalities/14999999")
    assert unknown.status_code == 404
    assert "14999999" in unknown.json()["detail"]
    malformed = await shared_client.get("/api/v1/municipalities/abc")
    assert malformed.status_code == 400
    too_many = await shared_client.get("/api/v1/municipalities", params={"limit": 501})
    assert too_many.status_code == 400


async def test_services_and_offers(shared_client: Client, auth: Headers) -> None:
    """GIVEN the demo WHEN listing services and offers THEN details agree with the
    lists, offers filter by service and provider and page without overlap."""
    services = (await shared_client.get("/api/v1/services")).json()
    assert len(services) == 34
    parking = next(s for s in services if s["title"] == "Bewohnerparkausweis")
    detail = await shared_client.get(f"/api/v1/services/{parking['id']}")
    assert detail.json() == parking
    assert parking["life_situations"] == ["Fahrzeug", "Umzug"]
    side_by_side = await shared_client.get(
        "/api/v1/offers", params={"service_id": parking["id"]}
    )
    assert {o["provider"]["id"] for o in side_by_side.json()} == {
        "lecos",
        "komm24",
        "musterfirma",
    }
    pages = [
        await shared_client.get("/api/v1/offers", params={"limit": 20, "offset": n})
        for n in (0, 20, 40)
    ]
    ids = [o["id"] for page in pages for o in page.json()]
    assert len(ids) == len(set(ids)) == 50
    assert (await shared_client.get("/api/v1/services/999999")).status_code == 404
    assert (await shared_client.get("/api/v1/offers/999999")).status_code == 404
    unknown_version = await shared_client.get("/api/v1/offer-versions/999999")
    assert unknown_version.status_code == 404
