"""Receiver faults against the running engine, counted at the receiver: every
submission delivered exactly once (one inbox row per idempotency key) or a dead
letter with its reason, never lost, never duplicated."""

from __future__ import annotations

import asyncio

from tests.connectors.conftest import Receiver
from tests.marketplace.contracts.flow import Client

from .flow import (
    Item,
    Subscribed,
    add_route,
    outbox,
    received,
    settings_for,
    settled,
    submit,
    until,
)


async def webhook_route(
    client: Client, sub: Subscribed, receiver: Receiver, **overrides: object
) -> Item:
    settings = settings_for("webhook", receiver, None) | overrides
    return await add_route(client, sub, "Fachverfahren", "webhook", settings)


async def log_outcomes(client: Client, sub: Subscribed) -> list[str]:
    answer = await client.get(
        "/api/v1/municipalities/14713000/transfer-log",
        params={"limit": 1000},
        headers=sub.owner,
    )
    return [e["outcome"] for e in answer.json()["entries"]]


async def test_receiver_down_then_up(
    client: Client, leipzig: Subscribed, webhook_receiver: Receiver
) -> None:
    """GIVEN the webhook receiver is down
    WHEN two submissions are enqueued, and the receiver comes back
    THEN attempts are deferred (logged), and afterwards both arrive once each."""
    await webhook_route(client, leipzig, webhook_receiver)
    webhook_receiver.stop()
    for _ in range(2):
        await submit(client, leipzig)

    async def deferred() -> bool:
        return "deferred" in await log_outcomes(client, leipzig)

    await until(deferred)
    webhook_receiver.start()
    items = await settled(client, leipzig, expect=2)
    assert [i["state"] for i in items] == ["delivered", "delivered"]
    keys = {i["idempotency_key"] for i in items}
    assert {
        k: e["copies"] for k, e in received(webhook_receiver, keys).items()
    } == dict.fromkeys(keys, 1)


async def test_slow_receiver_times_out_then_the_retry_is_deduplicated(
    client: Client, leipzig: Subscribed, webhook_receiver: Receiver
) -> None:
    """GIVEN a receiver that stores the submission and answers after 1.5 s, and a
    route timeout of 0.5 s
    WHEN a submission is delivered and the receiver speeds up again
    THEN the first attempt is deferred (timeout) although the receiver has it,
    the retry is answered as a duplicate: one inbox row, one copy per attempt."""
    await webhook_route(client, leipzig, webhook_receiver, timeout=0.5)
    webhook_receiver.faults(delay=1.5)
    await submit(client, leipzig)
    await until(lambda: _has(client, leipzig, "deferred"))
    webhook_receiver.faults()
    [item] = await settled(client, leipzig, expect=1)
    assert item["state"] == "delivered"
    assert item["receipt"]["duplicate"] is True
    entry = received(webhook_receiver, {item["idempotency_key"]})
    assert item["attempts"] >= 2
    assert [e["copies"] for e in entry.values()] == [item["attempts"]]


async def _has(client: Client, sub: Subscribed, outcome: str) -> bool:
    return outcome in await log_outcomes(client, sub)


async def test_5xx_and_garbage_are_retried_until_delivered(
    client: Client, leipzig: Subscribed, webhook_receiver: Receiver
) -> None:
    """GIVEN a receiver failing the next two requests with 503
    WHEN a submission is delivered
    THEN it takes three attempts and arrives once; then with garbage answers
    (stored, unreadable reply) a second one is retried and arrives once."""
    await webhook_route(client, leipzig, webhook_receiver)
    webhook_receiver.faults(fail_count=2, fail_status=503)
    await submit(client, leipzig)
    [first] = await settled(client, leipzig, expect=1)
    assert (first["state"], first["attempts"]) == ("delivered", 3)
    webhook_receiver.faults(garbage=True)
    await submit(client, leipzig)
    await until(lambda: _has_count(client, leipzig, "deferred", 3))
    webhook_receiver.faults()
    items = await settled(client, leipzig, expect=2)
    assert {i["state"] for i in items} == {"delivered"}
    keys = {i["idempotency_key"] for i in items}
    assert len(received(webhook_receiver, keys)) == 2


async def _has_count(client: Client, sub: Subscribed, outcome: str, n: int) -> bool:
    return (await log_outcomes(client, sub)).count(outcome) >= n


async def test_rejection_is_a_dead_letter_at_once_and_can_be_retried(
    client: Client, leipzig: Subscribed, webhook_receiver: Receiver
) -> None:
    """GIVEN a receiver that rejects with a reason
    WHEN a submission is delivered, the fault is cleared and the dead letter retried
    THEN it is dead after one attempt with the receiver's reason, nothing arrived;
    after the retry it is delivered once."""
    await webhook_route(client, leipzig, webhook_receiver)
    webhook_receiver.faults(reject_reason="Antragsart im Fachverfahren unbekannt")
    await submit(client, leipzig)
    [dead] = await settled(client, leipzig, expect=1)
    assert (dead["state"], dead["attempts"]) == ("dead", 1)
    assert "Antragsart im Fachverfahren unbekannt" in dead["last_reason"]
    assert received(webhook_receiver, {dead["idempotency_key"]}) == {}
    webhook_receiver.faults()
    again = await client.post(
        f"{leipzig.base}/outbox/{dead['id']}/retry", headers=leipzig.owner
    )
    assert again.status_code == 200, again.text
    [item] = await settled(client, leipzig, expect=1)
    assert item["state"] == "delivered"
    assert len(received(webhook_receiver, {item["idempotency_key"]})) == 1
    twice = await client.post(
        f"{leipzig.base}/outbox/{dead['id']}/retry", headers=leipzig.owner
    )
    assert twice.status_code == 409


async def test_wrong_key_and_oversized_payload_are_dead_letters(
    client: Client,
    leipzig: Subscribed,
    webhook_receiver: Receiver,
    fitconnect_receiver: Receiver,
) -> None:
    """GIVEN a webhook receiver checking another HMAC key, then one with a size
    limit, and a FIT-Connect destination publishing a key it cannot decrypt with
    WHEN a submission goes to each
    THEN each is a dead letter with the reason (signature, 413, key), none arrived."""
    await webhook_route(client, leipzig, webhook_receiver)
    await add_route(
        client,
        leipzig,
        "FIT",
        "fitconnect",
        settings_for("fitconnect", fitconnect_receiver, None),
    )
    webhook_receiver.faults(wrong_key=True)
    fitconnect_receiver.faults(wrong_key=True)
    await submit(client, leipzig)
    first = await settled(client, leipzig, expect=2)
    webhook_receiver.faults(max_bytes=1000)
    fitconnect_receiver.faults()
    await submit(client, leipzig, size=4096)
    items = await settled(client, leipzig, expect=4)
    reasons = {
        (i["route_name"], i["submission_id"] == first[0]["submission_id"]): i[
            "last_reason"
        ]
        for i in items
        if i["state"] == "dead"
    }
    assert "Signatur" in reasons[("Fachverfahren", True)]
    assert "Entschlüsselung fehlgeschlagen" in reasons[("FIT", True)]
    assert "413" in reasons[("Fachverfahren", False)]
    assert len(reasons) == 3
    webhook_keys = {
        i["idempotency_key"] for i in items if i["route_name"] == "Fachverfahren"
    }
    assert received(webhook_receiver, webhook_keys) == {}


async def test_breaker_opens_after_failures_and_closes_after_a_probe(
    client: Client, leipzig: Subscribed, webhook_receiver: Receiver
) -> None:
    """GIVEN a receiver that is down and a breaker opening after 3 failures
    WHEN ten submissions wait (four delivery slots)
    THEN after 3 failed attempts (plus those already in flight) the breaker is
    open and no further attempt is made while it is; once the receiver is back, a
    half-open probe succeeds, the breaker closes and all ten arrive once."""
    await webhook_route(client, leipzig, webhook_receiver)
    webhook_receiver.stop()
    for _ in range(10):
        await submit(client, leipzig)

    async def is_open() -> bool:
        routes = await client.get(f"{leipzig.base}/routes", headers=leipzig.owner)
        return bool(routes.json()[0]["breaker"]["state"] == "open")

    await until(is_open)
    await asyncio.sleep(0.15)  # attempts in flight when it opened end now
    tried = (await log_outcomes(client, leipzig)).count("deferred")
    await asyncio.sleep(0.4)  # still within the cool-down: nothing is attempted
    assert (await log_outcomes(client, leipzig)).count("deferred") == tried
    assert 3 <= tried <= 3 + 4 - 1
    webhook_receiver.start()
    items = await settled(client, leipzig, expect=10)
    assert {i["state"] for i in items} == {"delivered"}
    routes = (await client.get(f"{leipzig.base}/routes", headers=leipzig.owner)).json()
    assert routes[0]["breaker"]["state"] == "closed"
    keys = {i["idempotency_key"] for i in items}
    assert len(received(webhook_receiver, keys)) == 10


async def test_attempts_run_out_into_a_dead_letter(
    client: Client, leipzig: Subscribed, webhook_receiver: Receiver
) -> None:
    """GIVEN a receiver that always answers 500 and at most 6 attempts
    WHEN a submission is delivered
    THEN it is a dead letter after 6 attempts, with the last reason."""
    await webhook_route(client, leipzig, webhook_receiver)
    webhook_receiver.faults(fail_count=-1, fail_status=500)
    await submit(client, leipzig)
    [item] = await settled(client, leipzig, expect=1, within=30)
    assert (item["state"], item["attempts"]) == ("dead", 6)
    assert item["last_reason"].startswith("Aufgegeben nach 6 Versuchen")
    assert "HTTP 500" in item["last_reason"]
    dead = await outbox(client, leipzig, "dead")
    assert [d["id"] for d in dead] == [item["id"]]
