"""A receiver that is down for a whole batch, then comes back: counted."""

from __future__ import annotations

import uuid

import pytest

from connectors.results import Deferred, Delivered
from tests.connectors import samples
from tests.connectors.routes import HTTP_KINDS, Route


@pytest.mark.parametrize("kind", HTTP_KINDS)
async def test_batch_while_down_is_deferred_then_delivered_once(
    kind: str, request: pytest.FixtureRequest
) -> None:
    """GIVEN a receiver process that is stopped
    WHEN five submissions are sent, the process restarted and they are sent again
    THEN all five were Deferred first and are delivered exactly once afterwards."""
    fixture = {"fitconnect": "fitconnect_receiver", "xdomea": "eakte_receiver"}.get(
        kind, "webhook_receiver"
    )
    route = Route(kind, request.getfixturevalue(fixture))
    route.faults()
    patience = {"confirm_timeout": 15.0} if kind == "fitconnect" else {}
    connector = route.connector(timeout=2.0, **patience)
    prefix = f"d-{uuid.uuid4().hex[:6]}"
    items = [samples.submission(prefix) for _ in range(5)]
    route.take_down()
    try:
        first = [await connector.deliver(item) for item in items]
    finally:
        route.bring_up()
    second = [await connector.deliver(item) for item in items]
    await connector.aclose()
    assert all(isinstance(r, Deferred) for r in first), first
    assert all(isinstance(r, Delivered) for r in second), second
    assert sorted(row["key"] for row in route.received(prefix)) == sorted(
        i.idempotency_key for i in items
    )
