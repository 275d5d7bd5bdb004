"""Fault injection against the reference receivers, proven by counting.

For every fault, a batch of submissions goes out while the fault is on, then the
fault is cleared and whatever was deferred is retried. At the end every
submission is either delivered exactly once at the receiver (one inbox row per
idempotency key) or rejected with a reason and absent from the receiver: none
lost, none duplicated.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from connectors.base import Connector
from connectors.results import Deferred, Delivered, DeliveryResult, Rejected
from connectors.submission import Submission
from tests.connectors import samples
from tests.connectors.routes import HTTP_KINDS, Route

BATCH = 4


@pytest.fixture(params=HTTP_KINDS)
async def route(request: pytest.FixtureRequest) -> AsyncIterator[Route]:
    fixture = {"fitconnect": "fitconnect_receiver", "xdomea": "eakte_receiver"}.get(
        request.param, "webhook_receiver"
    )
    made = Route(request.param, request.getfixturevalue(fixture))
    made.faults()
    yield made
    made.faults()
    for connector in made.opened:
        await connector.aclose()


async def _round(
    connector: Connector, items: list[Submission]
) -> dict[str, DeliveryResult]:
    return {item.idempotency_key: await connector.deliver(item) for item in items}


async def _settle(
    connector: Connector, items: list[Submission], first: dict[str, DeliveryResult]
) -> dict[str, DeliveryResult]:
    """Retry what was deferred until nothing is (at most three more rounds)."""
    final = dict(first)
    for _ in range(3):
        pending = [i for i in items if isinstance(final[i.idempotency_key], Deferred)]
        if not pending:
            break
        final |= await _round(connector, pending)
    return final


def _count(route: Route, prefix: str, final: dict[str, DeliveryResult]) -> None:
    """Every submission delivered exactly once or rejected with a reason."""
    rows = route.received(prefix)
    stored = [row["key"] for row in rows]
    delivered = {k for k, r in final.items() if isinstance(r, Delivered)}
    rejected = {k for k, r in final.items() if isinstance(r, Rejected)}
    assert delivered | rejected == set(final), f"left undecided: {final}"
    assert not delivered & rejected
    assert sorted(stored) == sorted(delivered), (
        "receiver holds exactly the delivered ones"
    )
    assert len(stored) == len(set(stored)), "no key stored twice"
    assert all(isinstance(final[k], Rejected) and final[k].reason for k in rejected)


def _batch(prefix: str) -> list[Submission]:
    return [samples.submission(prefix) for _ in range(BATCH)]


async def _run(
    route: Route, fault: dict[str, Any], connector: Connector
) -> tuple[dict[str, DeliveryResult], dict[str, DeliveryResult], str]:
    prefix = f"f-{uuid.uuid4().hex[:6]}"
    items = _batch(prefix)
    route.faults(**fault)
    first = await _round(connector, items)
    route.faults()
    final = await _settle(connector, items, first)
    _count(route, prefix, final)
    return first, final, prefix


@pytest.mark.slow
async def test_slow_receiver_times_out_then_delivers_exactly_once(route: Route) -> None:
    """GIVEN a receiver that answers 1.5 s late and a sender waiting 0.5 s
    WHEN a batch is sent, the fault cleared and the deferred retried
    THEN the first round is all Deferred, and in the end each is delivered once
    (the receiver had stored them: the retries come back as duplicates)."""
    if route.kind == "fitconnect":
        connector = route.connector(confirm_timeout=0.5)
    else:
        connector = route.connector(timeout=0.5)
    first, final, prefix = await _run(route, {"delay": 1.5}, connector)
    assert all(isinstance(r, Deferred) for r in first.values()), first
    assert all(isinstance(r, Delivered) for r in final.values()), final
    copies = [row["copies"] for row in route.received(prefix)]
    assert len(copies) == BATCH


async def test_server_errors_defer_then_deliver_exactly_once(route: Route) -> None:
    """GIVEN a receiver failing the next requests with 503
    WHEN a batch is sent and the deferred retried after the fault is gone
    THEN the failed ones were Deferred naming HTTP 503, and all end delivered once."""
    connector = route.connector()
    first, final, _ = await _run(
        route, {"fail_count": BATCH, "fail_status": 503}, connector
    )
    deferred = [r for r in first.values() if isinstance(r, Deferred)]
    assert deferred
    assert all("503" in r.reason for r in deferred)
    assert all(isinstance(r, Delivered) for r in final.values())


async def test_garbage_answers_defer_then_deliver_exactly_once(route: Route) -> None:
    """GIVEN a receiver that stores but answers with unreadable bytes
    WHEN a batch is sent and retried after the fault is gone
    THEN the first round is Deferred ("unverständlich") and all end delivered once."""
    connector = (
        route.connector(confirm_timeout=0.5)
        if route.kind == "fitconnect"
        else route.connector()
    )
    first, final, _ = await _run(route, {"garbage": True}, connector)
    assert all(isinstance(r, Deferred) for r in first.values()), first
    assert all(
        "unverständlich" in r.reason for r in first.values() if isinstance(r, Deferred)
    )
    assert all(isinstance(r, Delivered) for r in final.values())


async def test_rejection_carries_the_receivers_reason(route: Route) -> None:
    """GIVEN a receiver rejecting with "Zuständigkeit liegt beim Landkreis"
    WHEN a batch is sent
    THEN every one is Rejected with that reason and none arrived."""
    connector = route.connector()
    reason = "Zuständigkeit liegt beim Landkreis"
    _, final, prefix = await _run(route, {"reject_reason": reason}, connector)
    assert all(
        isinstance(r, Rejected) and reason in r.reason for r in final.values()
    ), final
    assert route.received(prefix) == []


async def test_payload_over_receiver_limit_is_rejected(route: Route) -> None:
    """GIVEN a receiver refusing bodies over 20 kB (413) and 64 kB documents
    WHEN a batch is sent
    THEN each is Rejected naming HTTP 413 and none arrived."""
    connector = route.connector()
    prefix = f"f-{uuid.uuid4().hex[:6]}"
    items = [samples.submission(prefix, size=64_000) for _ in range(BATCH)]
    route.faults(max_bytes=20_000)
    final = await _round(connector, items)
    route.faults()
    _count(route, prefix, final)
    assert all(isinstance(r, Rejected) and "413" in r.reason for r in final.values()), (
        final
    )


async def test_key_mismatch_is_rejected(route: Route) -> None:
    """GIVEN a receiver whose key does not match the sender's (webhook: another
    HMAC secret; FIT-Connect: a published key the subscriber cannot decrypt with)
    WHEN a batch is sent
    THEN each is Rejected with a reason and none arrived."""
    if route.kind == "xdomea":
        pytest.skip("the xdomea route has no key; its transport is plain HTTPS")
    connector = route.connector()
    _, final, prefix = await _run(route, {"wrong_key": True}, connector)
    assert all(isinstance(r, Rejected) for r in final.values()), final
    assert route.received(prefix) == []
