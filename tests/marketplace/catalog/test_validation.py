"""Validation at the edge: each rule refuses with a German problem and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from marketplace.db import Database
from tests.marketplace.catalog.helpers import (
    CATALOG_TABLES,
    counts,
    offer_body,
    version_body,
)

Headers = dict[str, dict[str, str]]
# Nothing here may change the database: one app serves the whole module.
pytestmark = pytest.mark.asyncio(loop_scope="module")
MUNICIPALITY = {"ags": "14729999", "name": "Neudorf", "kind": "gemeinde"} | {
    "population": 1200
}


async def refused(
    client: AsyncTestClient[Litestar],
    db: Database,
    url: str,
    body: dict[str, Any],
    headers: dict[str, str],
    status: int,
    *,
    method: str = "POST",
) -> str:
    """Send ``body``; assert the status, a German problem and no row changed."""
    before = await counts(db, *CATALOG_TABLES)
    response = await client.request(method, url, json=body, headers=headers)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    detail: str = response.json()["detail"]
    assert detail
    assert await counts(db, *CATALOG_TABLES) == before
    return detail


@pytest.mark.parametrize(
    ("changes", "status", "phrase"),
    [
        ({"ags": "1472999"}, 400, "ags"),  # 7 digits
        ({"ags": "1472999X"}, 400, "ags"),
        ({"ags": "147299999"}, 400, "ags"),
        ({"ags": "17000001"}, 422, "Landesnummer 01–16"),
        ({"ags": "00000001"}, 422, "Landesnummer 01–16"),
        ({"land_code": "09"}, 422, "gehört zu Sachsen (14), nicht zu Bayern"),
        ({"ags": "14729000"}, 422, "nicht auf 000 enden"),  # a Gemeinde at Kreis level
        ({"kind": "landkreis"}, 422, "auf 000 enden"),
        ({"ags": "14000000", "kind": "kreisfreie_stadt"}, 422, "Kreisfreie Stadt"),
        ({"ags": "14729000", "kind": "stadtstaat"}, 422, "auf 000000 enden"),
        ({"population": -1}, 400, "population"),
        ({"population": 10**12}, 400, "population"),
        ({"population": 5_000_000}, 422, "mehr, als Sachsen hat"),
        ({"kind": "dorf"}, 400, "kind"),
        ({"name": ""}, 400, "name"),
        ({"population_as_of": "gestern"}, 400, "population_as_of"),
        ({"mayor": "Frau Muster"}, 400, "mayor"),  # unknown field
    ],
)
async def test_municipality_rules(
    shared_client: AsyncTestClient[Litestar],
    shared_db: Database,
    auth: Headers,
    changes: dict[str, Any],
    status: int,
    phrase: str,
) -> None:
    """GIVEN a municipality breaking one rule WHEN the operator posts it THEN a
    problem naming the rule and no row written."""
    body = {**MUNICIPALITY, **changes}
    detail = await refused(
        shared_client,
        shared_db,
        "/api/v1/municipalities",
        body,
        auth["operator"],
        status,
    )
    assert phrase in detail


@pytest.mark.parametrize(
    ("changes", "status", "phrase"),
    [
        ({"id": "Groß"}, 400, "id"),
        ({"id": "x"}, 400, "id"),
        ({"kind": "verein"}, 400, "kind"),
        ({"land_code": "17"}, 400, "land_code"),
        ({"website": "ftp://example.org"}, 400, "website"),
        ({"id": "lecos"}, 409, "bereits vergeben"),
    ],
)
async def test_provider_rules(
    shared_client: AsyncTestClient[Litestar],
    shared_db: Database,
    auth: Headers,
    changes: dict[str, Any],
    status: int,
    phrase: str,
) -> None:
    body = {"id": "neu-it", "name": "Neu IT", "kind": "private_vendor", **changes}
    detail = await refused(
        shared_client, shared_db, "/api/v1/providers", body, auth["operator"], status
    )
    assert phrase in detail


SERVICE = {
    "leika_key": "99999999999000",
    "title": "Neue Leistung",
    "ozg_bundle": "Querschnitt",
    "topic": "Querschnitt",
    "maturity": 3,
    "trust_level": "substantiell",
    "delivery_standard": "PDF",
}


@pytest.mark.parametrize(
    ("changes", "status", "phrase"),
    [
        ({"leika_key": "12345"}, 400, "leika_key"),
        ({"leika_key": "98000000000000"}, 400, "leika_key"),  # must start with 99
        ({"leika_key": "9900000000000"}, 400, "leika_key"),  # 13 digits
        ({"maturity": 5}, 400, "maturity"),
        ({"maturity": -1}, 400, "maturity"),
        ({"trust_level": "mittel"}, 400, "trust_level"),
        ({"life_situations": ["Umzug"] * 21}, 400, "life_situations"),
        ({"title": "x" * 201}, 400, "title"),
        ({"leika_key": "99990000001000"}, 409, "bereits erfasst"),
    ],
)
async def test_service_rules(
    shared_client: AsyncTestClient[Litestar],
    shared_db: Database,
    auth: Headers,
    changes: dict[str, Any],
    status: int,
    phrase: str,
) -> None:
    body = {**SERVICE, **changes}
    detail = await refused(
        shared_client, shared_db, "/api/v1/services", body, auth["operator"], status
    )
    assert phrase in detail


DESCENDING_TIERS = (
    {"up_to": 100, "cents_per_case": 5},
    {"up_to": 50, "cents_per_case": 3},
    {"cents_per_case": 1},
)


def _component(**fields: Any) -> dict[str, Any]:
    return {"cost_model": {"components": [{"label": "Teil", **fields}]}}


@pytest.mark.parametrize(
    ("changes", "status", "phrase"),
    [
        ({"leika_key": "9999"}, 400, "leika_key"),
        ({"leika_key": "99000000000001"}, 422, "nicht im Katalog"),
        ({"legal_route": "handschlag"}, 400, "legal_route"),
        ({"notice_period_months": 61}, 400, "notice_period_months"),
        ({"notice_period_months": -1}, 400, "notice_period_months"),
        ({"land_code": "00"}, 400, "land_code"),
        ({"contract_template": "kurz"}, 400, "contract_template"),
        (
            {"contract_template": "Vertrag mit {{bürgermeister}} über alles."},
            422,
            "Unbekannte Platzhalter",
        ),
        (_component(kind="annual_flat", amount_cents=-1), 400, "cost_model"),
        (_component(kind="annual_flat", amount_cents=10**15), 400, "cost_model"),
        (_component(kind="magic"), 400, "cost_model"),
        ({"cost_model": {"components": []}}, 400, "cost_model"),
        (
            _component(kind="per_case", tiers=[{"up_to": 100, "cents_per_case": 5}]),
            422,
            "letzte Fallzahl-Staffel muss offen sein",
        ),
        (
            _component(kind="per_case", tiers=[*DESCENDING_TIERS]),
            422,
            "müssen aufsteigen",
        ),
        (
            _component(kind="land_share", annual_total_cents=1, key_year=1999),
            400,
            "key_year",
        ),
        ({"provider_id": "lecos", "discount": 5}, 400, "discount"),
    ],
)
async def test_offer_rules(
    shared_client: AsyncTestClient[Litestar],
    shared_db: Database,
    auth: Headers,
    changes: dict[str, Any],
    status: int,
    phrase: str,
) -> None:
    """GIVEN an offer breaking one rule WHEN the provider posts it THEN refused."""
    body = offer_body(**changes)
    detail = await refused(
        shared_client, shared_db, "/api/v1/offers", body, auth["dataport"], status
    )
    assert phrase in detail


async def test_new_versions_are_validated_too(
    shared_client: AsyncTestClient[Litestar], shared_db: Database, auth: Headers
) -> None:
    """GIVEN a published offer WHEN a version with a bad template is added or a
    draft edited with an absurd notice period THEN refused, nothing written."""
    offers = await shared_client.get("/api/v1/offers", params={"provider": "dataport"})
    url = f"/api/v1/offers/{offers.json()[0]['id']}/versions"
    bad = version_body(contract_template="Vertrag über {{preis}} und mehr Text.")
    await refused(shared_client, shared_db, url, bad, auth["dataport"], 422)
    absurd = version_body(notice_period_months=600)
    await refused(
        shared_client,
        shared_db,
        f"{url}/1",
        absurd,
        auth["dataport"],
        400,
        method="PUT",
    )


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"maturity": 7}, 400),
        ({"land": "17"}, 400),
        ({"leika_key": "123"}, 400),
        ({"per_page": 101}, 400),
        ({"page": 0}, 400),
        ({"q": "x" * 201}, 400),
        ({"price_band": "billig"}, 422),
        ({"page": 600, "per_page": 20}, 422),  # beyond the first 10,000 results
    ],
)
async def test_search_parameters_are_checked(
    shared_client: AsyncTestClient[Litestar],
    shared_db: Database,
    params: dict[str, Any],
    status: int,
) -> None:
    response = await shared_client.get("/api/v1/catalog/search", params=params)
    assert response.status_code == status, response.text
    assert response.json()["detail"]
