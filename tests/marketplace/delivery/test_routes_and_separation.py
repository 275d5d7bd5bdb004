"""Routes of every kind deliver; test and production never mix; the one-click
test delivery reaches a production route flagged as test."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from marketplace.db import Database
from marketplace.delivery.rules import may_carry, violation
from tests.connectors.conftest import Receiver
from tests.marketplace.contracts.flow import Client

from .flow import Subscribed, add_route, received, settings_for, settled, submit


async def test_routes_of_every_kind_deliver_each_submission_once(
    client: Client,
    leipzig: Subscribed,
    webhook_receiver: Receiver,
    eakte_receiver: Receiver,
    fitconnect_receiver: Receiver,
    tmp_path: Path,
) -> None:
    """GIVEN a production subscription with a FIT-Connect, xdomea, webhook and
    drop folder route
    WHEN three online submissions arrive
    THEN each reaches every receiver exactly once, each outbox row is delivered
    with the receiver's receipt, and no secret is shown back."""
    folder = tmp_path / "ablage" / "dms"
    folder.mkdir(parents=True)
    receivers = {
        "fitconnect": fitconnect_receiver,
        "xdomea": eakte_receiver,
        "webhook": webhook_receiver,
    }
    for kind in ("fitconnect", "xdomea", "webhook", "dropfolder"):
        await add_route(
            client, leipzig, kind, kind, settings_for(kind, receivers.get(kind), folder)
        )
    for _ in range(3):
        await submit(client, leipzig)
    items = await settled(client, leipzig, expect=12)
    assert {i["state"] for i in items} == {"delivered"}
    assert all(i["receipt"]["reference"] for i in items)
    for kind, receiver in receivers.items():
        keys = {i["idempotency_key"] for i in items if i["route_name"] == kind}
        got = received(receiver, keys)
        assert set(got) == keys
        assert all(e["copies"] == 1 for e in got.values())
    manifests = list(folder.glob("*/manifest.json"))
    assert len(manifests) == 3
    shown = (await client.get(f"{leipzig.base}/routes", headers=leipzig.owner)).json()
    assert "webhook-secret" not in json.dumps(shown)
    assert "fit-client-secret" not in json.dumps(shown)


async def test_test_submissions_only_reach_test_routes(
    client: Client,
    leipzig: Subscribed,
    webhook_receiver: Receiver,
    eakte_receiver: Receiver,
) -> None:
    """GIVEN a test route (webhook) and a production route (E-Akte)
    WHEN a test and a production submission arrive
    THEN the test one is delivered only to the test route, flagged test, and the
    production one only to the production route."""
    await add_route(
        client,
        leipzig,
        "Test-Fachverfahren",
        "webhook",
        settings_for("webhook", webhook_receiver, None),
        environment="test",
    )
    await add_route(
        client,
        leipzig,
        "E-Akte",
        "xdomea",
        settings_for("xdomea", eakte_receiver, None),
    )
    test = await submit(client, leipzig, test=True)
    production = await submit(client, leipzig)
    items = await settled(client, leipzig, expect=2)
    by_submission = {i["submission_id"]: i for i in items}
    assert len(items) == 2
    assert by_submission[test["id"]]["route_name"] == "Test-Fachverfahren"
    assert by_submission[production["id"]]["route_name"] == "E-Akte"
    test_key = by_submission[test["id"]]["idempotency_key"]
    prod_key = by_submission[production["id"]]["idempotency_key"]
    assert received(webhook_receiver, {test_key})[test_key]["test"] is True
    assert received(eakte_receiver, {prod_key})[prod_key]["test"] is False
    assert received(eakte_receiver, {test_key}) == {}
    assert received(webhook_receiver, {prod_key}) == {}


async def test_the_database_refuses_an_outbox_row_across_environments(
    client: Client, leipzig: Subscribed, app_db: Database, eakte_receiver: Receiver
) -> None:
    """GIVEN a test submission without test route (kept as not deliverable) and a
    production route
    WHEN code tries to queue the test submission to the production route
    THEN the CHECK/trigger refuses it, whatever the service layer does."""
    await add_route(
        client,
        leipzig,
        "E-Akte",
        "xdomea",
        settings_for("xdomea", eakte_receiver, None),
    )
    test = await submit(client, leipzig, test=True)
    assert test["outbox"] == []
    assert "Testroute" in test["undeliverable_reason"]
    route_id = (
        await client.get(f"{leipzig.base}/routes", headers=leipzig.owner)
    ).json()[0]["id"]
    for claimed_test in (0, 1):
        with pytest.raises(sqlite3.IntegrityError):
            async with app_db.transaction() as conn:
                await conn.execute(
                    "INSERT INTO delivery_outbox (submission_id, route_id,"
                    " idempotency_key, test, probe, route_environment, state,"
                    " created_at, next_attempt_at) VALUES (?, ?, 'k-1', ?, 0,"
                    " 'production', 'pending', 0, 0)",
                    (test["id"], route_id, claimed_test),
                )


def test_the_engine_check_refuses_every_mix() -> None:
    """GIVEN the rule the engine applies right before a connector call
    WHEN test and production are mixed, copies disagree, or a probe is forged
    THEN it names the violation; only matching pairs and real probes pass."""
    assert may_carry("test", test=True, probe=False)
    assert may_carry("production", test=False, probe=False)
    assert not may_carry("production", test=True, probe=False)
    assert not may_carry("test", test=False, probe=False)
    assert may_carry("production", test=True, probe=True)
    assert not may_carry("production", test=False, probe=True)
    ok = {"test": True, "claimed_test": True, "probe": False, "source": "api"}
    assert violation("test", "test", **ok) is None
    assert violation("production", "test", **ok)
    assert violation("production", "production", **ok)
    assert violation("test", "test", **(ok | {"claimed_test": False}))
    assert violation("production", "production", **(ok | {"probe": True}))


async def test_test_delivery_reaches_a_production_route_flagged_as_test(
    client: Client, leipzig: Subscribed, eakte_receiver: Receiver
) -> None:
    """GIVEN a production route to the E-Akte
    WHEN the municipality presses "Testzustellung"
    THEN a synthetic submission goes to exactly that route, the E-Akte records it
    as a test, and the transfer log names the purpose."""
    route = await add_route(
        client,
        leipzig,
        "E-Akte",
        "xdomea",
        settings_for("xdomea", eakte_receiver, None),
    )
    answer = await client.post(
        f"{leipzig.base}/routes/{route['id']}/test-delivery", headers=leipzig.owner
    )
    assert answer.status_code == 202, answer.text
    items = await settled(client, leipzig, expect=1)
    assert [i["probe"] for i in items] == [True]
    key = items[0]["idempotency_key"]
    assert received(eakte_receiver, {key})[key]["test"] is True
    log = (
        await client.get(
            "/api/v1/municipalities/14713000/transfer-log", headers=leipzig.owner
        )
    ).json()
    assert [e["purpose"] for e in log["entries"]] == [
        "Testzustellung (Prüfung der Route)"
    ]
    assert log["entries"][0]["environment"] == "test"


async def test_a_test_subscription_has_only_test_routes(
    client: Client, leipzig: Subscribed, webhook_receiver: Receiver
) -> None:
    """GIVEN a test subscription (same contract)
    WHEN a production route is added, and a submission not marked test arrives
    THEN the route is refused (422) and the submission is treated as a test."""
    from .flow import subscribe

    contract_id = (await client.get(leipzig.base, headers=leipzig.owner)).json()[
        "contract_id"
    ]
    test_sub = await subscribe(client, leipzig.parties, contract_id, "test")
    refused = await client.post(
        f"{test_sub.base}/routes",
        json={
            "name": "prod",
            "environment": "production",
            "kind": "webhook",
            "settings": settings_for("webhook", webhook_receiver, None),
        },
        headers=test_sub.owner,
    )
    assert refused.status_code == 422
    await add_route(
        client,
        test_sub,
        "test",
        "webhook",
        settings_for("webhook", webhook_receiver, None),
        environment="test",
    )
    found = await submit(client, test_sub, test=False)
    assert found["test"] is True
    assert [i["route_name"] for i in found["outbox"]] == ["test"]
