"""The ``Connector`` contract, run against every implementation.

Each test is parametrised over FIT-Connect, xdomea, webhook and drop folder; the
first three talk to their reference receiver as a real process on loopback, the
drop folder writes into a real directory.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from connectors.base import Connector
from connectors.errors import InvalidSettings
from connectors.results import Deferred, Delivered, Health, Rejected
from tests.connectors import samples
from tests.connectors.routes import KINDS, Route


@pytest.fixture(params=KINDS)
async def route(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Route]:
    kind: str = request.param
    if kind == "dropfolder":
        folder = tmp_path / "dms-import"
        folder.mkdir()
        made = Route(kind, None, folder)
    else:
        fixture = {"fitconnect": "fitconnect_receiver", "xdomea": "eakte_receiver"}.get(
            kind, "webhook_receiver"
        )
        made = Route(kind, request.getfixturevalue(fixture))
        made.faults()
    yield made
    for connector in made.opened:
        await connector.aclose()


async def test_delivers_once_and_confirms_with_a_receipt(route: Route) -> None:
    """GIVEN a running receiver WHEN a submission is delivered
    THEN the result is Delivered with a receipt and the receiver holds it once."""
    connector = route.connector()
    item = samples.submission("c-once")
    result = await connector.deliver(item)
    assert isinstance(result, Delivered), result
    assert result.receipt.reference
    assert not result.receipt.duplicate
    assert [e["key"] for e in route.received(item.idempotency_key)] == [
        item.idempotency_key
    ]


async def test_redelivery_is_deduplicated_by_idempotency_key(route: Route) -> None:
    """GIVEN a delivered submission WHEN it is delivered again
    THEN the second result is Delivered, marked duplicate, with the same receipt,
    and the receiver still holds exactly one copy."""
    connector = route.connector()
    item = samples.submission("c-dup")
    first = await connector.deliver(item)
    second = await connector.deliver(item)
    assert isinstance(first, Delivered)
    assert isinstance(second, Delivered)
    assert second.receipt.duplicate
    assert second.receipt.reference == first.receipt.reference
    assert len(route.received(item.idempotency_key)) == 1


@pytest.mark.parametrize("channel", ["online", "paper"])
async def test_test_submissions_are_recognisable_at_the_receiver(
    route: Route, channel: str
) -> None:
    """GIVEN a test submission (online or scanned) WHEN delivered
    THEN the receiver recorded it as a test, and a production one as not."""
    connector = route.connector()
    test_item = samples.submission("c-test", test=True, channel=channel)
    prod_item = samples.submission("c-prod", channel=channel)
    assert isinstance(await connector.deliver(test_item), Delivered)
    assert isinstance(await connector.deliver(prod_item), Delivered)
    assert [e["test"] for e in route.received(test_item.idempotency_key)] == [True]
    assert [e["test"] for e in route.received(prod_item.idempotency_key)] == [False]


async def test_receiver_down_defers_and_health_says_so(route: Route) -> None:
    """GIVEN the receiver is down WHEN delivering and checking health
    THEN the delivery is Deferred with a reason and health is not ok;
    once it is back, the same submission is delivered exactly once."""
    connector = (
        route.connector(timeout=2.0)
        if route.kind != "dropfolder"
        else route.connector()
    )
    item = samples.submission("c-down")
    route.take_down()
    try:
        result = await connector.deliver(item)
        health = await connector.health()
    finally:
        route.bring_up()
    assert isinstance(result, Deferred), result
    assert result.reason
    assert result.retry_after > 0
    assert isinstance(health, Health)
    assert not health.ok
    assert isinstance(await connector.deliver(item), Delivered)
    assert (await connector.health()).ok
    assert len(route.received(item.idempotency_key)) == 1


async def test_payload_over_the_limit_is_rejected_with_reason(route: Route) -> None:
    """GIVEN a connector whose route allows 10 kB WHEN a 64 kB submission is delivered
    THEN it is Rejected with a reason naming the limit, and nothing arrived."""
    connector = route.connector(max_bytes=10_000)
    item = samples.submission("c-big", size=64_000)
    result = await connector.deliver(item)
    assert isinstance(result, Rejected), result
    assert "10000" in result.reason
    assert route.received(item.idempotency_key) == []


def test_settings_are_described_and_checked(route: Route) -> None:
    """GIVEN a connector kind WHEN its settings are described or given an unknown key
    THEN every setting has a description, and the unknown key is refused."""
    connector_class = type(route.connector())
    specs = connector_class.settings()
    assert specs
    assert all(spec.description for spec in specs)
    assert any(spec.required for spec in specs)
    with pytest.raises(InvalidSettings, match=r"no_such_setting"):
        connector_class.from_settings({"no_such_setting": 1})
    assert isinstance(route.connector(), Connector)


async def test_logs_carry_no_personal_data(
    route: Route, caplog: pytest.LogCaptureFixture
) -> None:
    """GIVEN a submission whose data and file names name a person
    WHEN it is delivered with all loggers at DEBUG
    THEN no log record contains the name."""
    caplog.set_level(logging.DEBUG)
    connector = route.connector()
    result = await connector.deliver(samples.submission("c-log"))
    assert isinstance(result, Delivered)
    assert caplog.records, "expected the connector to log the delivery"
    assert samples.APPLICANT not in caplog.text
    assert "Mustermann" not in caplog.text
