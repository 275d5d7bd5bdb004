"""The FIT-Connect sender's confirmation polling schedule."""

from __future__ import annotations

from itertools import islice

import pytest

from connectors.fitconnect.pacing import Pacer


def test_first_poll_waits_for_most_of_the_learned_latency_then_doubles() -> None:
    """GIVEN a new pacer with poll_interval 0.2 s
    WHEN it has seen no confirmation, then confirmations after 0.1 s and 0.2 s
    THEN the first wait is 0, then 0.075 s, then 0.75 x the moving average;
    later waits start at 5 ms and double up to 0.2 s."""
    pacer = Pacer(0.2)
    assert list(islice(pacer.waits(fresh=True), 7)) == [
        0.0,
        0.005,
        0.01,
        0.02,
        0.04,
        0.08,
        0.16,
    ]
    pacer.confirmed_after(0.1)
    assert next(pacer.waits(fresh=True)) == pytest.approx(0.075)
    pacer.confirmed_after(0.2)
    assert pacer.typical == pytest.approx(0.12)
    assert next(pacer.waits(fresh=True)) == pytest.approx(0.09)
    assert list(islice(pacer.waits(fresh=True), 8))[-1] == 0.2


def test_a_redelivery_asks_at_once_and_a_slow_receiver_is_capped() -> None:
    """GIVEN a pacer that learned 10 s confirmations
    WHEN a redelivery polls, and when a fresh delivery polls
    THEN the redelivery asks at once and the fresh one waits at most
    poll_interval before its first question."""
    pacer = Pacer(0.05)
    pacer.confirmed_after(10.0)
    assert next(pacer.waits(fresh=False)) == 0.0
    assert next(pacer.waits(fresh=True)) == 0.05
