"""Offers through the API: who may do what, versioning, immutability, withdrawal,
and that a failing request leaves nothing half-written."""

from __future__ import annotations

import sqlite3

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from marketplace.db import Database
from marketplace.identity.schemas import Role
from tests.marketplace.catalog.helpers import (
    CATALOG_TABLES,
    counts,
    offer_body,
    version_body,
)
from tests.marketplace.conftest import MakeAccount

Headers = dict[str, dict[str, str]]
SEARCH = "/api/v1/catalog/search"


async def first_offer_of(client: AsyncTestClient[Litestar], provider: str) -> int:
    offers = await client.get("/api/v1/offers", params={"provider": provider})
    offer_id: int = offers.json()[0]["id"]
    return offer_id


async def new_draft(client: AsyncTestClient[Litestar], headers: dict[str, str]) -> int:
    created = await client.post("/api/v1/offers", json=offer_body(), headers=headers)
    assert created.status_code == 201, created.text
    offer_id: int = created.json()["id"]
    return offer_id


async def test_who_may_create_catalog_entries(
    client: AsyncTestClient[Litestar], demo: Database, auth: Headers
) -> None:
    """GIVEN anonymous, a buyer and a provider admin WHEN they create a provider,
    municipality or service THEN 401 / 403 with a German reason, nothing written."""
    bodies = {
        "/api/v1/providers": {"id": "neu", "name": "Neu", "kind": "private_vendor"},
        "/api/v1/municipalities": {
            "ags": "14729999",
            "name": "Neudorf",
            "kind": "gemeinde",
            "population": 10,
        },
        "/api/v1/services": {
            "leika_key": "99999999999000",
            "title": "Neu",
            "ozg_bundle": "Neu",
            "topic": "Querschnitt",
            "maturity": 3,
            "trust_level": "hoch",
            "delivery_standard": "PDF",
        },
    }
    before = await counts(demo, *CATALOG_TABLES)
    for url, body in bodies.items():
        anonymous = await client.post(url, json=body)
        assert anonymous.status_code == 401
        assert anonymous.json()["detail"] == "Bitte melden Sie sich an."
        for role in ("leipzig", "lecos"):
            denied = await client.post(url, json=body, headers=auth[role])
            assert denied.status_code == 403, (url, role)
            assert "darf diese Aktion nicht" in denied.json()["detail"]
    assert await counts(demo, *CATALOG_TABLES) == before


async def test_offers_only_for_the_own_provider(
    client: AsyncTestClient[Litestar], demo: Database, auth: Headers
) -> None:
    """GIVEN a buyer and the Dataport admin WHEN the buyer creates an offer or the
    admin names another provider THEN refused; the operator must name one."""
    before = await counts(demo, *CATALOG_TABLES)
    anonymous = await client.post("/api/v1/offers", json=offer_body())
    assert anonymous.status_code == 401
    buyer = await client.post(
        "/api/v1/offers", json=offer_body(), headers=auth["leipzig"]
    )
    assert buyer.status_code == 403
    foreign = await client.post(
        "/api/v1/offers", json=offer_body(provider_id="lecos"), headers=auth["dataport"]
    )
    assert foreign.status_code == 403
    assert "eigenen Anbieters" in foreign.json()["detail"]
    unnamed = await client.post(
        "/api/v1/offers", json=offer_body(), headers=auth["operator"]
    )
    assert unnamed.status_code == 422
    assert "provider_id" in unnamed.json()["detail"]
    assert await counts(demo, *CATALOG_TABLES) == before


async def test_another_providers_offer_cannot_be_managed(
    client: AsyncTestClient[Litestar], demo: Database, auth: Headers
) -> None:
    """GIVEN a Lecos offer with a draft WHEN Dataport's admin, a buyer or anonymous
    edit, version, publish or withdraw it THEN 403/401 and nothing changes."""
    offer_id = await first_offer_of(client, "lecos")
    url = f"/api/v1/offers/{offer_id}"
    draft = await client.post(
        f"{url}/versions", json=version_body(), headers=auth["lecos"]
    )
    number = draft.json()["version"]
    before = await counts(demo, *CATALOG_TABLES)
    attempts = [
        ("POST", f"{url}/versions", version_body()),
        ("PUT", f"{url}/versions/{number}", version_body()),
        ("POST", f"{url}/versions/{number}/publish", None),
        ("POST", f"{url}/withdraw", None),
    ]
    for method, target, body in attempts:
        assert (await client.request(method, target, json=body)).status_code == 401
        for role, status in (("dataport", 403), ("leipzig", 403)):
            response = await client.request(
                method, target, json=body, headers=auth[role]
            )
            assert response.status_code == status, (target, role, response.text)
    assert await counts(demo, *CATALOG_TABLES) == before
    # the draft stays hidden from everybody but its provider and the operator
    for headers in ({}, auth["dataport"], auth["leipzig"]):
        hidden = await client.get(f"{url}/versions/{number}", headers=headers)
        assert hidden.status_code == 404
    for role in ("lecos", "operator"):
        shown = await client.get(f"{url}/versions/{number}", headers=auth[role])
        assert shown.json()["status"] == "draft"


async def test_drafts_are_invisible_to_others(
    client: AsyncTestClient[Litestar], demo: Database, auth: Headers
) -> None:
    """GIVEN a new offer still in draft WHEN others list or fetch it THEN it does
    not exist for them; its provider and the operator see it."""
    offer_id = await new_draft(client, auth["dataport"])
    for headers in ({}, auth["lecos"], auth["leipzig"]):
        assert (
            await client.get(f"/api/v1/offers/{offer_id}", headers=headers)
        ).status_code == 404
        listed = await client.get(
            "/api/v1/offers", params={"provider": "dataport"}, headers=headers
        )
        assert offer_id not in [o["id"] for o in listed.json()]
    for role in ("dataport", "operator"):
        own = await client.get(f"/api/v1/offers/{offer_id}", headers=auth[role])
        assert [v["status"] for v in own.json()["versions"]] == ["draft"]


async def test_versions_are_immutable_once_published(
    client: AsyncTestClient[Litestar], demo: Database, auth: Headers
) -> None:
    """GIVEN a provider's draft WHEN published THEN it cannot change, a change makes
    version 2, the earlier version stays readable for its subscribers, and the
    catalog shows only the newest published version."""
    admin = auth["dataport"]
    offer_id = await new_draft(client, admin)
    url = f"/api/v1/offers/{offer_id}"
    edited = await client.put(
        f"{url}/versions/1", json=version_body(title="Nordlicht Entwurf"), headers=admin
    )
    assert edited.json()["title"] == "Nordlicht Entwurf"
    unpublished = await client.get(SEARCH, params={"q": "Nordlicht"})
    assert unpublished.json()["total"] == 0
    published = await client.post(f"{url}/versions/1/publish", headers=admin)
    assert published.status_code == 200
    counted = await client.get(SEARCH, params={"q": "Nordlicht"})
    assert counted.json()["total"] == 1  # counts kept for the query were renewed
    v1 = published.json()
    assert v1["status"] == "published"
    assert v1["reference_annual_cents"] == 100_000  # the annual flat fee
    again = await client.put(f"{url}/versions/1", json=version_body(), headers=admin)
    assert again.status_code == 409
    assert "unveränderlich" in again.json()["detail"]
    twice = await client.post(f"{url}/versions/1/publish", headers=admin)
    assert twice.status_code == 409
    v2 = await client.post(
        f"{url}/versions", json=version_body(title="Nordlicht Neu"), headers=admin
    )
    assert v2.json()["version"] == 2
    second_draft = await client.post(
        f"{url}/versions", json=version_body(), headers=admin
    )
    assert second_draft.status_code == 409
    await client.post(f"{url}/versions/2/publish", headers=admin)
    hits = (await client.get(SEARCH, params={"q": "Nordlicht"})).json()["hits"]
    assert [(h["title"], h["version"]) for h in hits] == [("Nordlicht Neu", 2)]
    kept = await client.get(f"/api/v1/offer-versions/{v1['id']}")
    assert kept.json() == v1
    public = (await client.get(url)).json()
    assert [v["title"] for v in public["versions"]] == [
        "Nordlicht Entwurf",
        "Nordlicht Neu",
    ]
    missing = await client.get(f"{url}/versions/9", headers=admin)
    assert missing.status_code == 404


async def test_database_refuses_changing_a_published_version(demo: Database) -> None:
    """GIVEN a published version WHEN SQL tries to change or delete it THEN the
    database itself refuses (defence beyond the service)."""
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        async with demo.transaction() as conn:
            await conn.execute(
                "UPDATE offer_versions SET title = 'x' WHERE status = 'published'"
            )
    with pytest.raises(sqlite3.IntegrityError, match="immutable"):
        async with demo.transaction() as conn:
            await conn.execute("DELETE FROM offer_versions WHERE status = 'published'")


async def test_withdrawn_offer_leaves_the_catalog(
    client: AsyncTestClient[Litestar], demo: Database, auth: Headers
) -> None:
    """GIVEN a published Lecos offer WHEN Lecos withdraws it THEN search and the
    public offer list lose it, its versions stay readable, and it cannot be
    published again."""
    before = (await client.get(SEARCH, params={"provider": "lecos"})).json()
    offer_id = before["hits"][0]["offer_id"]
    version_id = before["hits"][0]["offer_version_id"]
    url = f"/api/v1/offers/{offer_id}"
    response = await client.post(f"{url}/withdraw", headers=auth["lecos"])
    assert response.json()["withdrawn_at"]
    after = (await client.get(SEARCH, params={"provider": "lecos"})).json()
    assert after["total"] == before["total"] - 1
    assert offer_id not in [h["offer_id"] for h in after["hits"]]
    assert (await client.get(url)).status_code == 404
    assert (await client.get(f"/api/v1/offer-versions/{version_id}")).status_code == 200
    await client.post(f"{url}/versions", json=version_body(), headers=auth["lecos"])
    number = len((await client.get(url, headers=auth["lecos"])).json()["versions"])
    republish = await client.post(
        f"{url}/versions/{number}/publish", headers=auth["lecos"]
    )
    assert republish.status_code == 409
    assert "zurückgezogen" in republish.json()["detail"]


async def test_a_failing_write_leaves_nothing_half_written(
    client: AsyncTestClient[Litestar], demo: Database, auth: Headers
) -> None:
    """GIVEN a database that fails the offer version insert (a trigger injects the
    fault after the offer row is written in the same transaction) WHEN a provider
    creates an offer THEN a 500 problem and not one row more in any table."""
    async with demo.transaction() as conn:
        await conn.execute(
            "CREATE TEMP TRIGGER fail_versions BEFORE INSERT ON offer_versions"
            " BEGIN SELECT RAISE(ABORT, 'injected fault'); END"
        )
    before = await counts(demo, *CATALOG_TABLES)
    response = await client.post(
        "/api/v1/offers", json=offer_body(), headers=auth["dataport"]
    )
    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await counts(demo, *CATALOG_TABLES) == before


async def test_creating_and_reading_catalog_entries(
    client: AsyncTestClient[Litestar], demo: Database, auth: Headers
) -> None:
    """GIVEN the operator WHEN it adds a Gemeinde, a provider and a service THEN
    each reads back; a second identical municipality is a conflict."""
    operator = auth["operator"]
    gemeinde = {
        "ags": "14729999",
        "name": "Neudorf",
        "kind": "gemeinde",
        "population": 1200,
        "land_code": "14",
    }
    created = await client.post(
        "/api/v1/municipalities", json=gemeinde, headers=operator
    )
    assert created.status_code == 201, created.text
    assert (
        await client.get("/api/v1/municipalities/14729999")
    ).json() == created.json()
    duplicate = await client.post(
        "/api/v1/municipalities", json=gemeinde, headers=operator
    )
    assert duplicate.status_code == 409
    provider = {"id": "neu-it", "name": "Neu IT", "kind": "private_vendor"}
    made = await client.post("/api/v1/providers", json=provider, headers=operator)
    assert made.status_code == 201
    assert (await client.get("/api/v1/providers/neu-it")).json()["name"] == "Neu IT"
    service = {
        "leika_key": "99999999999000",
        "title": "Neue Leistung",
        "ozg_bundle": "Querschnitt",
        "topic": "Querschnitt",
        "life_situations": ["Umzug", "Geburt", "Umzug"],
        "maturity": 3,
        "trust_level": "substantiell",
        "delivery_standard": "PDF",
    }
    made = await client.post("/api/v1/services", json=service, headers=operator)
    assert made.json()["life_situations"] == ["Geburt", "Umzug"]
    read = await client.get(f"/api/v1/services/{made.json()['id']}")
    assert read.json() == made.json()


async def test_a_buyer_of_an_unknown_municipality_searches_without_prices(
    client: AsyncTestClient[Litestar], make_account: MakeAccount
) -> None:
    """GIVEN a buyer account whose AGS is not in the catalog WHEN it searches THEN
    the results come, without prices (not a 404 for every search)."""
    stranger = await make_account(
        "fremd", Role.MUNICIPALITY_BUYER, municipality_ags="14999999"
    )
    response = await client.get(SEARCH, params={"q": "park"}, headers=stranger)
    assert response.status_code == 200
    hits = response.json()["hits"]
    assert hits
    assert all(hit["my_quote"] is None for hit in hits)
