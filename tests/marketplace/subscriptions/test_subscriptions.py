"""Subscriptions: OSB-style idempotent PUT, one per offer and environment, test and
production apart, ending with the contract; nothing half-written on refusal."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from marketplace.contracts.machine import end_of_notice
from marketplace.db import Database
from marketplace.subscriptions import service
from tests.marketplace.contracts.flow import (
    Client,
    Contract,
    Parties,
    act,
    count,
    counts,
    drive,
    new_version,
    request,
)

URL = "/api/v1/subscriptions"


def body(contract_id: int, environment: str = "production") -> dict[str, Any]:
    host = "fachverfahren" if environment == "production" else "test-fachverfahren"
    return {
        "contract_id": contract_id,
        "environment": environment,
        "endpoint_url": f"https://{host}.leipzig.example/eingang",
        "fachverfahren": "OK.VERKEHR",
    }


async def test_put_is_idempotent(
    client: Client, parties: Parties, active: Contract, app_db: Database
) -> None:
    """GIVEN an active contract WHEN PUT twice with the same body THEN 201 then 200
    with the same subscription; WHEN the same id comes with other content THEN 409;
    one row in the end."""
    data = body(active["id"])
    first = await client.put(
        f"{URL}/leipzig-park-prod", json=data, headers=parties.leipzig
    )
    assert first.status_code == 201, first.text
    assert first.json()["state"] == "active"
    assert first.json()["offer_id"] == active["offer_id"]
    assert first.json()["offer_version_id"] == active["offer_version_id"]
    second = await client.put(
        f"{URL}/leipzig-park-prod", json=data, headers=parties.leipzig
    )
    assert second.status_code == 200
    assert second.json() == first.json()
    before = await counts(app_db)
    changed = await client.put(
        f"{URL}/leipzig-park-prod",
        json={**data, "fachverfahren": "anderes"},
        headers=parties.leipzig,
    )
    assert changed.status_code == 409
    assert "mit anderen Angaben" in changed.json()["detail"]
    assert await counts(app_db) == before
    assert await count(app_db, "subscriptions") == 1


async def test_concurrent_identical_puts_create_one(
    client: Client, parties: Parties, active: Contract, app_db: Database
) -> None:
    """GIVEN an active contract WHEN six identical PUTs arrive at once THEN one 201,
    five 200, all with the same subscription, and one row."""
    results = await asyncio.gather(
        *(
            client.put(f"{URL}/sub-1", json=body(active["id"]), headers=parties.leipzig)
            for _ in range(6)
        )
    )
    assert sorted(r.status_code for r in results) == [200] * 5 + [201]
    assert len({r.text for r in results}) == 1
    assert await count(app_db, "subscriptions") == 1


async def test_concurrent_duplicates_under_other_ids_are_refused(
    client: Client, parties: Parties, active: Contract, app_db: Database
) -> None:
    """GIVEN an active contract WHEN four production subscriptions with different ids
    arrive at once THEN one 201 and three German 409 problems, and one row."""
    results = await asyncio.gather(
        *(
            client.put(
                f"{URL}/prod-{i}", json=body(active["id"]), headers=parties.leipzig
            )
            for i in range(4)
        )
    )
    assert sorted(r.status_code for r in results) == [201, 409, 409, 409]
    refused = [r.json() for r in results if r.status_code == 409]
    assert all("bereits ein Produktionsabonnement" in p["detail"] for p in refused)
    assert await count(app_db, "subscriptions") == 1


async def test_test_and_production_are_separate(
    client: Client, parties: Parties, active: Contract, app_db: Database
) -> None:
    """GIVEN a production subscription WHEN a second production one is asked for THEN
    409; a test subscription beside it is fine, but not one that delivers to the
    production endpoint (seed 001 L1258: test applications reached production)."""
    await client.put(f"{URL}/prod-1", json=body(active["id"]), headers=parties.leipzig)
    duplicate = await client.put(
        f"{URL}/prod-2", json=body(active["id"]), headers=parties.leipzig
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["existing_id"] == "prod-1"
    test = await client.put(
        f"{URL}/test-1", json=body(active["id"], "test"), headers=parties.leipzig
    )
    assert test.status_code == 201
    assert test.json()["environment"] == "test"
    await client.delete(f"{URL}/test-1", headers=parties.leipzig)
    before = await counts(app_db)
    into_production = await client.put(
        f"{URL}/test-2",
        json={**body(active["id"], "test"), "endpoint_url": body(0)["endpoint_url"]},
        headers=parties.leipzig,
    )
    assert into_production.status_code == 409
    assert "keine Testanträge im Produktivsystem" in into_production.json()["detail"]
    assert await counts(app_db) == before


async def test_settings_cannot_point_test_at_production(
    client: Client, parties: Parties, active: Contract, app_db: Database
) -> None:
    """GIVEN a test and a production subscription WHEN the test one is re-pointed at
    the production endpoint THEN 409 and its settings stay as they were."""
    await client.put(f"{URL}/prod-1", json=body(active["id"]), headers=parties.leipzig)
    test = await client.put(
        f"{URL}/test-1", json=body(active["id"], "test"), headers=parties.leipzig
    )
    moved = await client.patch(
        f"{URL}/test-1",
        json={"endpoint_url": body(0)["endpoint_url"], "fachverfahren": "x"},
        headers=parties.leipzig,
    )
    assert moved.status_code == 409
    after = await client.get(f"{URL}/test-1", headers=parties.leipzig)
    assert after.json() == test.json()


async def test_one_subscription_per_offer_across_versions(
    client: Client, parties: Parties, active: Contract, app_db: Database
) -> None:
    """GIVEN Leipzig subscribed in production under version 1 WHEN it also contracts
    version 2 of the same offer and subscribes in production again THEN 409: one
    offer has one production route; after ending the old one, the new one works."""
    await client.put(f"{URL}/v1-prod", json=body(active["id"]), headers=parties.leipzig)
    version_2 = await new_version(app_db, parties.version)
    second = await drive(
        client, parties, await request(client, parties.leipzig, version_2), "active"
    )
    before = await counts(app_db)
    refused = await client.put(
        f"{URL}/v2-prod", json=body(second["id"]), headers=parties.leipzig
    )
    assert refused.status_code == 409
    assert refused.json()["existing_id"] == "v1-prod"
    assert await counts(app_db) == before
    await client.delete(f"{URL}/v1-prod", headers=parties.leipzig)
    moved = await client.put(
        f"{URL}/v2-prod", json=body(second["id"]), headers=parties.leipzig
    )
    assert moved.status_code == 201
    assert moved.json()["offer_version_id"] == version_2


@pytest.mark.parametrize("state", ["draft", "offered", "signed", "countersigned"])
async def test_requires_an_active_contract(
    client: Client, parties: Parties, app_db: Database, state: str
) -> None:
    """GIVEN a contract that is not active yet WHEN Leipzig subscribes THEN 409 naming
    the contract's state, and no row."""
    contract = await drive(
        client, parties, await request(client, parties.leipzig, parties.version), state
    )
    response = await client.put(
        f"{URL}/too-early", json=body(contract["id"]), headers=parties.leipzig
    )
    assert response.status_code == 409
    assert "setzt einen aktiven Vertrag voraus" in response.json()["detail"]
    assert response.json()["state"] == state
    assert await count(app_db, "subscriptions") == 0


async def test_subscriptions_end_with_their_contract(
    client: Client, parties: Parties, active: Contract, app_db: Database
) -> None:
    """GIVEN running test and production subscriptions WHEN the contract is terminated
    THEN both keep running until the contract's last day, which they carry; no new
    subscription is accepted; the day after, they are reported as ended, and
    ``end_due`` writes that down once."""
    for sub_id, environment in (("prod-1", "production"), ("test-1", "test")):
        await client.put(
            f"{URL}/{sub_id}",
            json=body(active["id"], environment),
            headers=parties.leipzig,
        )
    terminated = await act(client, parties.lecos, active, "terminate")
    last_day = terminated.json()["ends_at"]
    assert last_day == end_of_notice(datetime.now(UTC).date(), 6).isoformat()
    listed = (await client.get(URL, headers=parties.leipzig)).json()
    assert [(s["state"], s["ends_at"]) for s in listed] == [("active", last_day)] * 2
    late = await client.put(
        f"{URL}/late-1",
        json={**body(active["id"]), "endpoint_url": "https://neu.example/"},
        headers=parties.leipzig,
    )
    assert late.status_code == 409
    assert await count(app_db, "subscriptions") == 2

    async with app_db.transaction() as conn:  # the time machine: the last day is past
        yesterday = (datetime.now(UTC).date() - timedelta(days=1)).isoformat()
        await conn.execute("UPDATE subscriptions SET ends_at = ?", (yesterday,))
    seen = (await client.get(f"{URL}/prod-1", headers=parties.lecos)).json()
    assert seen["state"] == "ended"
    assert seen["ended_at"] == f"{datetime.now(UTC).date().isoformat()}T00:00:00+00:00"
    assert await count(app_db, "subscriptions", "state = 'active'") == 2  # not yet
    assert await service.end_due(app_db) == 2
    assert await service.end_due(app_db) == 0
    assert await count(app_db, "subscriptions", "state = 'ended'") == 2
    assert (await client.get(f"{URL}/prod-1", headers=parties.lecos)).json() == seen


async def test_settings_change_and_end(
    client: Client, parties: Parties, active: Contract, app_db: Database
) -> None:
    """GIVEN a running subscription WHEN Leipzig re-points it THEN the new endpoint
    is stored; WHEN it ends it THEN it is ended (twice is harmless), its settings
    are frozen, and re-using its id is a conflict."""
    await client.put(f"{URL}/mine-1", json=body(active["id"]), headers=parties.leipzig)
    settings = {
        "endpoint_url": "https://neu.leipzig.example/eingang",
        "fachverfahren": "VIS",
    }
    changed = await client.patch(
        f"{URL}/mine-1", json=settings, headers=parties.leipzig
    )
    assert changed.status_code == 200
    assert changed.json()["fachverfahren"] == "VIS"
    assert changed.json()["endpoint_url"] == settings["endpoint_url"]
    ended = await client.delete(f"{URL}/mine-1", headers=parties.leipzig)
    assert ended.json()["state"] == "ended"
    assert ended.json()["ended_at"] is not None
    again = await client.delete(f"{URL}/mine-1", headers=parties.leipzig)
    assert again.json() == ended.json()
    frozen = await client.patch(f"{URL}/mine-1", json=settings, headers=parties.leipzig)
    assert frozen.status_code == 409
    assert "beendet" in frozen.json()["detail"]
    reused = await client.put(
        f"{URL}/mine-1",
        json={**body(active["id"]), **settings},
        headers=parties.leipzig,
    )
    assert reused.status_code == 409
    assert "neuen Kennung" in reused.json()["detail"]
    assert await count(app_db, "subscriptions") == 1


MALFORMED: list[tuple[str, dict[str, Any]]] = [
    ("bad-1", {"environment": "staging"}),
    ("bad-1", {"endpoint_url": "ftp://x"}),
    ("bad-1", {"endpoint_url": "https://" + "x" * 500}),
    ("bad-1", {"contract_id": -1}),
    ("bad-1", {"contract_id": 2**63}),
    ("bad-1", {"fachverfahren": ""}),
    ("bad-1", {"unknown": 1}),
    ("x", {}),  # id too short
    ("mit_unterstrich", {}),
    ("-vorne", {}),
]


async def test_malformed_requests(
    client: Client, parties: Parties, active: Contract, app_db: Database
) -> None:
    """GIVEN malformed bodies or ids WHEN PUT THEN 400 problems and no row."""
    wrong = []
    for path, bad in MALFORMED:
        data = {**body(active["id"]), **bad}
        response = await client.put(f"{URL}/{path}", json=data, headers=parties.leipzig)
        problem = response.headers["content-type"].startswith("application/problem")
        if response.status_code != 400 or not problem:
            wrong.append((path, bad, response.status_code, response.text))
    assert wrong == []
    assert await count(app_db, "subscriptions") == 0


async def test_malformed_json_is_refused(
    client: Client, parties: Parties, active: Contract, app_db: Database
) -> None:
    """GIVEN a body that is not JSON WHEN PUT THEN 400 problem and no row."""
    response = await client.put(
        f"{URL}/sub-1",
        content=b'{"contract_id": 1,',
        headers={**parties.leipzig, "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert await count(app_db, "subscriptions") == 0
