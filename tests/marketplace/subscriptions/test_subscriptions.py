"""Subscriptions: OSB-style idempotent PUT, active contract required, scoping."""

from __future__ import annotations

from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from marketplace.db import Database
from marketplace.identity.schemas import Role
from tests.marketplace.conftest import MakeAccount, SeedOffer


@pytest.fixture
async def active(
    client: AsyncTestClient[Litestar], make_account: MakeAccount, seed_offer: SeedOffer
) -> dict[str, Any]:
    """Leipzig with an active contract with Lecos (through the real state machine)."""
    version_id = await seed_offer()
    leipzig = await make_account(
        "leipzig", Role.MUNICIPALITY_BUYER, municipality_ags="14713000"
    )
    lecos = await make_account("lecos", Role.PROVIDER_ADMIN, provider_id="lecos")
    contract = (
        await client.post(
            "/api/v1/contracts", json={"offer_version_id": version_id}, headers=leipzig
        )
    ).json()
    signed = {"text_sha256": contract["text_sha256"]}
    url = f"/api/v1/contracts/{contract['id']}"
    assert (await client.post(f"{url}/offer", headers=lecos)).status_code == 200
    assert (
        await client.post(f"{url}/sign", json=signed, headers=leipzig)
    ).status_code == 200
    assert (
        await client.post(f"{url}/countersign", json=signed, headers=lecos)
    ).status_code == 200
    assert (await client.post(f"{url}/activate", headers=lecos)).status_code == 200
    return {
        "contract": contract,
        "leipzig": leipzig,
        "lecos": lecos,
        "make": make_account,
    }


def body(contract_id: int, environment: str = "production") -> dict[str, Any]:
    host = "fachverfahren" if environment == "production" else "test-fachverfahren"
    return {
        "contract_id": contract_id,
        "environment": environment,
        "endpoint_url": f"https://{host}.leipzig.example/eingang",
        "fachverfahren": "OK.VERKEHR",
    }


async def count(db: Database) -> int:
    async with (
        db.read() as conn,
        conn.execute("SELECT COUNT(*) FROM subscriptions") as cur,
    ):
        return int((await cur.fetchone())[0])


async def test_put_is_idempotent(
    client: AsyncTestClient[Litestar], active: dict[str, Any], app_db: Database
) -> None:
    """GIVEN an active contract WHEN PUT twice with the same body THEN 201 then 200;
    WHEN the same id comes with other content THEN 409; one row in the end."""
    data = body(active["contract"]["id"])
    first = await client.put(
        "/api/v1/subscriptions/leipzig-park-prod", json=data, headers=active["leipzig"]
    )
    assert first.status_code == 201, first.text
    second = await client.put(
        "/api/v1/subscriptions/leipzig-park-prod", json=data, headers=active["leipzig"]
    )
    assert second.status_code == 200
    assert second.json() == first.json()
    changed = await client.put(
        "/api/v1/subscriptions/leipzig-park-prod",
        json={**data, "fachverfahren": "anderes"},
        headers=active["leipzig"],
    )
    assert changed.status_code == 409
    assert await count(app_db) == 1


async def test_test_and_production_are_separate(
    client: AsyncTestClient[Litestar], active: dict[str, Any], app_db: Database
) -> None:
    """GIVEN a production subscription WHEN a second production one is asked for THEN
    409; a test subscription beside it is fine, but not one that delivers to the
    production endpoint (seed 001 L1258: test applications reached production)."""
    contract_id = active["contract"]["id"]
    await client.put(
        "/api/v1/subscriptions/prod-1",
        json=body(contract_id),
        headers=active["leipzig"],
    )
    duplicate = await client.put(
        "/api/v1/subscriptions/prod-2",
        json=body(contract_id),
        headers=active["leipzig"],
    )
    assert duplicate.status_code == 409
    assert "Produktions" in duplicate.json()["detail"]
    test = await client.put(
        "/api/v1/subscriptions/test-1",
        json=body(contract_id, "test"),
        headers=active["leipzig"],
    )
    assert test.status_code == 201
    assert test.json()["environment"] == "test"
    assert await count(app_db) == 2
    await client.delete("/api/v1/subscriptions/test-1", headers=active["leipzig"])
    into_production = await client.put(
        "/api/v1/subscriptions/test-2",
        json={
            **body(contract_id, "test"),
            "endpoint_url": body(contract_id)["endpoint_url"],
        },
        headers=active["leipzig"],
    )
    assert into_production.status_code == 409
    assert "Testanträge" in into_production.json()["detail"]
    assert await count(app_db) == 2


async def test_requires_an_active_contract(
    client: AsyncTestClient[Litestar],
    make_account: MakeAccount,
    seed_offer: SeedOffer,
    app_db: Database,
) -> None:
    version_id = await seed_offer()
    leipzig = await make_account(
        "leipzig", Role.MUNICIPALITY_BUYER, municipality_ags="14713000"
    )
    draft = (
        await client.post(
            "/api/v1/contracts", json={"offer_version_id": version_id}, headers=leipzig
        )
    ).json()
    response = await client.put(
        "/api/v1/subscriptions/too-early", json=body(draft["id"]), headers=leipzig
    )
    assert response.status_code == 409
    assert "aktiven Vertrag" in response.json()["detail"]
    assert await count(app_db) == 0


async def test_denials(
    client: AsyncTestClient[Litestar], active: dict[str, Any], app_db: Database
) -> None:
    """GIVEN Leipzig's subscription WHEN Dresden, another provider or anonymous try to
    see or change it THEN 404/403/401, and Lecos (the provider) may see it."""
    contract_id = active["contract"]["id"]
    await client.put(
        "/api/v1/subscriptions/mine-1",
        json=body(contract_id),
        headers=active["leipzig"],
    )
    dresden = await active["make"](
        "dresden", Role.MUNICIPALITY_BUYER, municipality_ags="14612000"
    )
    dataport = await active["make"](
        "dataport", Role.PROVIDER_ADMIN, provider_id="dataport"
    )
    assert (await client.get("/api/v1/subscriptions/mine-1")).status_code == 401
    assert (
        await client.get("/api/v1/subscriptions/mine-1", headers=dresden)
    ).status_code == 404
    assert (
        await client.get("/api/v1/subscriptions/mine-1", headers=dataport)
    ).status_code == 404
    assert (
        await client.get("/api/v1/subscriptions/mine-1", headers=active["lecos"])
    ).status_code == 200
    assert (await client.get("/api/v1/subscriptions", headers=dresden)).json() == []
    # Dresden cannot subscribe on Leipzig's contract, nor reuse Leipzig's id
    stolen = await client.put(
        "/api/v1/subscriptions/dresden-1", json=body(contract_id), headers=dresden
    )
    assert stolen.status_code == 404
    reused = await client.put(
        "/api/v1/subscriptions/mine-1", json=body(contract_id), headers=dresden
    )
    assert reused.status_code == 409
    # the provider cannot change or end the municipality's subscription
    settings = {"endpoint_url": "https://x.example/", "fachverfahren": "x"}
    assert (
        await client.patch(
            "/api/v1/subscriptions/mine-1", json=settings, headers=active["lecos"]
        )
    ).status_code == 403
    assert (
        await client.delete("/api/v1/subscriptions/mine-1", headers=dresden)
    ).status_code == 404
    assert await count(app_db) == 1


async def test_settings_change_and_end(
    client: AsyncTestClient[Litestar], active: dict[str, Any]
) -> None:
    contract_id = active["contract"]["id"]
    await client.put(
        "/api/v1/subscriptions/mine-1",
        json=body(contract_id),
        headers=active["leipzig"],
    )
    settings = {
        "endpoint_url": "https://neu.leipzig.example/eingang",
        "fachverfahren": "VIS",
    }
    changed = await client.patch(
        "/api/v1/subscriptions/mine-1", json=settings, headers=active["leipzig"]
    )
    assert changed.json()["fachverfahren"] == "VIS"
    ended = await client.delete(
        "/api/v1/subscriptions/mine-1", headers=active["leipzig"]
    )
    assert ended.json()["state"] == "ended"
    again = await client.patch(
        "/api/v1/subscriptions/mine-1", json=settings, headers=active["leipzig"]
    )
    assert again.status_code == 409


@pytest.mark.parametrize(
    "bad",
    [
        {"environment": "staging"},
        {"endpoint_url": "ftp://x"},
        {"contract_id": -1},
        {"unknown": 1},
    ],
)
async def test_malformed_bodies(
    client: AsyncTestClient[Litestar], active: dict[str, Any], bad: dict[str, Any]
) -> None:
    data = {**body(active["contract"]["id"]), **bad}
    response = await client.put(
        "/api/v1/subscriptions/bad-1", json=data, headers=active["leipzig"]
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
