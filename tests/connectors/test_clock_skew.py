"""A webhook push refused because the sender's clock is off is retried, not lost.

The reference webhook receiver (a real process) refuses a signature whose
timestamp is more than five minutes from its own clock. When the sender's clock
is that far from the receiver's (its ``Date`` header), the refusal is the clock's
fault and passes once NTP sets it right: the delivery is ``Deferred`` with a
German reason naming the clocks. A refusal for a wrong key stays ``Rejected``.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator

import pytest

from connectors.results import Deferred, Delivered, Rejected
from connectors.webhook import WebhookConnector, WebhookSettings
from tests.connectors import samples
from tests.connectors.conftest import Receiver, webhook_settings


class Clock:
    """The sender's wall clock, off by ``offset`` seconds."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset


@pytest.fixture
async def sender(
    webhook_receiver: Receiver,
) -> AsyncIterator[tuple[WebhookConnector, Clock]]:
    webhook_receiver.faults()
    clock = Clock()
    settings = WebhookSettings(**webhook_settings(webhook_receiver))
    connector = WebhookConnector(settings, clock=clock)
    yield connector, clock
    await connector.aclose()
    webhook_receiver.faults()


@pytest.mark.parametrize("offset", [7200.0, -3600.0])
async def test_far_off_clock_defers_then_delivers_once(
    sender: tuple[WebhookConnector, Clock], webhook_receiver: Receiver, offset: float
) -> None:
    """GIVEN a sender whose clock is hours ahead or behind the receiver's
    WHEN it pushes a submission, then again after its clock is set right
    THEN the first push is Deferred with a reason about the clocks and the
    receiver holds nothing; the second is delivered and held exactly once."""
    connector, clock = sender
    prefix = f"skew-{uuid.uuid4().hex[:6]}"
    submission = samples.submission(prefix)
    clock.offset = offset
    first = await connector.deliver(submission)
    assert isinstance(first, Deferred), first
    assert "Uhr dieses Servers" in first.reason
    assert ("vor" if offset > 0 else "nach") in first.reason
    assert webhook_receiver.received(prefix) == []
    clock.offset = 0.0
    second = await connector.deliver(submission)
    assert isinstance(second, Delivered), second
    assert [row["key"] for row in webhook_receiver.received(prefix)] == [
        submission.idempotency_key
    ]


async def test_small_skew_is_accepted(
    sender: tuple[WebhookConnector, Clock], webhook_receiver: Receiver
) -> None:
    """GIVEN a sender's clock two minutes ahead (inside the 5-minute window)
    WHEN it pushes THEN the receiver accepts it."""
    connector, clock = sender
    clock.offset = 120.0
    prefix = f"skew-{uuid.uuid4().hex[:6]}"
    assert isinstance(await connector.deliver(samples.submission(prefix)), Delivered)
    assert len(webhook_receiver.received(prefix)) == 1


async def test_wrong_key_with_right_clock_is_rejected(
    sender: tuple[WebhookConnector, Clock], webhook_receiver: Receiver
) -> None:
    """GIVEN clocks that agree and a receiver checking with another key
    WHEN the sender pushes THEN it is Rejected (no clock in the reason) and the
    receiver holds nothing."""
    connector, _ = sender
    webhook_receiver.faults(wrong_key=True)
    prefix = f"skew-{uuid.uuid4().hex[:6]}"
    result = await connector.deliver(samples.submission(prefix))
    assert isinstance(result, Rejected), result
    assert "Uhr" not in result.reason
    assert webhook_receiver.received(prefix) == []
