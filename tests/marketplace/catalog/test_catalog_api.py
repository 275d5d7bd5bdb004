"""Catalog rules through the API: validation, access, versioning, immutability."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from marketplace.db import Database
from marketplace.identity.schemas import Role
from tests.marketplace.conftest import MakeAccount

LEIKA = "99990000001000"  # Bewohnerparkausweis in the demo data (illustrative key)


def offer_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "leika_key": LEIKA,
        "title": "Bewohnerparken Nord",
        "description": "Betrieb als SaaS.",
        "legal_route": "direct",
        "cost_model": {
            "components": [
                {"kind": "annual_flat", "label": "Betrieb", "amount_cents": 100_000}
            ]
        },
        "contract_template": "Vereinbarung zwischen {{anbieter}} und {{kommune}}.",
    }
    body.update(changes)
    return body


async def count(db: Database, table: str) -> int:
    async with db.read() as conn, conn.execute(f"SELECT COUNT(*) FROM {table}") as cur:  # noqa: S608
        row = await cur.fetchone()
    return int(row[0])


@pytest.mark.parametrize(
    ("field", "value", "status"),
    [
        ("ags", "1471300", 400),  # 7 digits
        ("ags", "1471300X", 400),
        ("ags", "17000000", 422),  # no Land 17
        ("ags", "00000000", 422),
        ("population", -1, 400),
        ("population", 10**12, 400),
        ("kind", "dorf", 400),
    ],
)
async def test_municipality_validation(
    client: AsyncTestClient[Litestar],
    make_account: MakeAccount,
    demo: Database,
    field: str,
    value: object,
    status: int,
) -> None:
    """GIVEN a malformed municipality WHEN the operator posts it THEN a German
    problem and no row written."""
    operator = await make_account("op", Role.OPERATOR)
    body = {"ags": "14713999", "name": "Neu", "kind": "gemeinde", "population": 10}
    body[field] = value
    before = await count(demo, "municipalities")
    response = await client.post("/api/v1/municipalities", json=body, headers=operator)
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["detail"]
    assert await count(demo, "municipalities") == before


async def test_service_leika_format_and_duplicates(
    client: AsyncTestClient[Litestar], make_account: MakeAccount, demo: Database
) -> None:
    operator = await make_account("op", Role.OPERATOR)
    body = {
        "leika_key": "12345",
        "title": "X",
        "ozg_bundle": "X",
        "topic": "Querschnitt",
        "maturity": 3,
        "trust_level": "substantiell",
        "delivery_standard": "PDF",
    }
    response = await client.post("/api/v1/services", json=body, headers=operator)
    assert response.status_code == 400
    assert "Format" in response.json()["detail"]
    body["leika_key"] = LEIKA
    response = await client.post("/api/v1/services", json=body, headers=operator)
    assert response.status_code == 409
    assert "bereits erfasst" in response.json()["detail"]


async def test_access_denials(
    client: AsyncTestClient[Litestar], make_account: MakeAccount, demo: Database
) -> None:
    """GIVEN each role WHEN it tries what it may not THEN 401/403/404, nothing written."""
    buyer = await make_account(
        "kauf", Role.MUNICIPALITY_BUYER, municipality_ags="14713000"
    )
    admin = await make_account("dp", Role.PROVIDER_ADMIN, provider_id="dataport")
    provider = {"id": "neu", "name": "Neu", "kind": "private_vendor"}
    before = await count(demo, "offers")
    assert (await client.post("/api/v1/providers", json=provider)).status_code == 401
    assert (
        await client.post("/api/v1/providers", json=provider, headers=buyer)
    ).status_code == 403
    assert (
        await client.post("/api/v1/providers", json=provider, headers=admin)
    ).status_code == 403
    # a buyer cannot create offers; an admin cannot create them for another provider
    assert (
        await client.post("/api/v1/offers", json=offer_body(), headers=buyer)
    ).status_code == 403
    foreign = offer_body(provider_id="lecos")
    response = await client.post("/api/v1/offers", json=foreign, headers=admin)
    assert response.status_code == 403
    assert "eigenen Anbieters" in response.json()["detail"]
    # an admin cannot publish, version or withdraw another provider's offer
    lecos_offer = (
        await client.get("/api/v1/offers", params={"provider": "lecos"})
    ).json()[0]
    url = f"/api/v1/offers/{lecos_offer['id']}"
    assert (await client.post(f"{url}/withdraw", headers=admin)).status_code == 403
    assert (await client.post(f"{url}/withdraw")).status_code == 401
    new_version = {k: v for k, v in offer_body().items() if k != "leika_key"}
    response = await client.post(f"{url}/versions", json=new_version, headers=admin)
    assert response.status_code == 403
    assert await count(demo, "offers") == before


async def test_versions_are_immutable_once_published(
    client: AsyncTestClient[Litestar], make_account: MakeAccount, demo: Database
) -> None:
    """GIVEN a provider's draft WHEN published THEN it cannot change, a change makes
    version 2, and the catalog shows only the newest published version."""
    admin = await make_account("dp", Role.PROVIDER_ADMIN, provider_id="dataport")
    created = await client.post("/api/v1/offers", json=offer_body(), headers=admin)
    assert created.status_code == 201, created.text
    offer_id = created.json()["id"]
    body = {k: v for k, v in offer_body().items() if k != "leika_key"}
    # drafts are invisible to others
    assert (await client.get(f"/api/v1/offers/{offer_id}")).status_code == 404
    edited = await client.put(
        f"/api/v1/offers/{offer_id}/versions/1",
        json={**body, "title": "Entwurf 2"},
        headers=admin,
    )
    assert edited.status_code == 200
    published = await client.post(
        f"/api/v1/offers/{offer_id}/versions/1/publish", headers=admin
    )
    assert published.status_code == 200
    assert published.json()["reference_annual_cents"] == 100_000
    again = await client.put(
        f"/api/v1/offers/{offer_id}/versions/1", json=body, headers=admin
    )
    assert again.status_code == 409
    assert "unveränderlich" in again.json()["detail"]
    v2 = await client.post(
        f"/api/v1/offers/{offer_id}/versions",
        json={**body, "title": "Nord v2"},
        headers=admin,
    )
    assert v2.json()["version"] == 2
    await client.post(f"/api/v1/offers/{offer_id}/versions/2/publish", headers=admin)
    hits = (await client.get("/api/v1/catalog/search", params={"q": "Nord v2"})).json()[
        "hits"
    ]
    assert [(h["title"], h["version"]) for h in hits] == [("Nord v2", 2)]
    public = (await client.get(f"/api/v1/offers/{offer_id}")).json()
    assert [v["title"] for v in public["versions"]] == ["Entwurf 2", "Nord v2"]


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
    client: AsyncTestClient[Litestar], make_account: MakeAccount, demo: Database
) -> None:
    admin = await make_account("lecos", Role.PROVIDER_ADMIN, provider_id="lecos")
    before = (
        await client.get("/api/v1/catalog/search", params={"provider": "lecos"})
    ).json()
    offer_id = before["hits"][0]["offer_id"]
    response = await client.post(f"/api/v1/offers/{offer_id}/withdraw", headers=admin)
    assert response.json()["withdrawn_at"]
    after = (
        await client.get("/api/v1/catalog/search", params={"provider": "lecos"})
    ).json()
    assert after["total"] == before["total"] - 1
    assert offer_id not in [h["offer_id"] for h in after["hits"]]
    assert (await client.get(f"/api/v1/offers/{offer_id}")).status_code == 404


async def test_offer_with_bad_cost_model_is_refused(
    client: AsyncTestClient[Litestar], make_account: MakeAccount, demo: Database
) -> None:
    admin = await make_account("dp", Role.PROVIDER_ADMIN, provider_id="dataport")
    negative = offer_body(
        cost_model={
            "components": [{"kind": "annual_flat", "label": "x", "amount_cents": -1}]
        }
    )
    assert (
        await client.post("/api/v1/offers", json=negative, headers=admin)
    ).status_code == 400
    unknown_kind = offer_body(
        cost_model={"components": [{"kind": "magic", "label": "x"}]}
    )
    assert (
        await client.post("/api/v1/offers", json=unknown_kind, headers=admin)
    ).status_code == 400
    empty = offer_body(cost_model={"components": []})
    assert (
        await client.post("/api/v1/offers", json=empty, headers=admin)
    ).status_code == 400
