"""Backoff with full jitter and the circuit breaker, with the random draw and the
clock pinned; and the command line switch of the engine."""

from __future__ import annotations

from marketplace.cli import build_parser
from marketplace.delivery.backoff import Backoff
from marketplace.delivery.breaker import Breakers


def test_backoff_grows_exponentially_up_to_the_cap_with_full_jitter() -> None:
    """GIVEN base 2 s, cap 60 s and the random draw pinned
    WHEN the n-th retry is scheduled
    THEN the wait is draw x min(cap, base x 2^(n-1)): 0..2, 0..4, ... capped at 60."""
    top = Backoff(base=2, cap=60, retry_after_cap=0, rand=lambda: 1.0)
    assert [top.delay(n) for n in range(1, 8)] == [2, 4, 8, 16, 32, 60, 60]
    half = Backoff(base=2, cap=60, retry_after_cap=0, rand=lambda: 0.5)
    assert [half.delay(n) for n in (1, 3, 10)] == [1, 4, 30]
    zero = Backoff(base=2, cap=60, retry_after_cap=0, rand=lambda: 0.0)
    assert zero.delay(5) == 0
    assert top.delay(10_000) == 60  # no overflow for absurd attempt counts


def test_backoff_honours_the_receivers_retry_after_up_to_its_bound() -> None:
    """GIVEN a receiver asking for 120 s and a bound of 90 s
    WHEN the jittered wait is shorter
    THEN the receiver's wish wins up to the bound."""
    backoff = Backoff(base=1, cap=10, retry_after_cap=90, rand=lambda: 0.1)
    assert backoff.delay(1, retry_after=30) == 30
    assert backoff.delay(1, retry_after=120) == 90


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_breaker_opens_after_consecutive_failures_and_probes_once() -> None:
    """GIVEN a breaker with threshold 3 and cool-down 30 s
    WHEN an endpoint fails three times in a row (a success in between resets)
    THEN it is open (blocked, no probe) until the cool-down passed, then exactly
    one probe may go; a failed probe opens it again, a good one closes it."""
    clock = Clock()
    breakers = Breakers(threshold=3, cooldown=30, clock=clock)
    ep = "http://127.0.0.1:1"
    breakers.failure(ep)
    breakers.failure(ep)
    breakers.success(ep)
    breakers.failure(ep)
    breakers.failure(ep)
    assert breakers.state(ep).state == "closed"
    breakers.failure(ep)
    assert breakers.state(ep).state == "open"
    assert breakers.blocked() == [ep]
    assert breakers.probe_due() == []
    clock.now += 30
    assert breakers.state(ep).state == "half_open"
    assert breakers.probe_due() == [ep]
    breakers.start_probe(ep)
    assert breakers.probe_due() == []  # only one probe at a time
    breakers.failure(ep)
    assert breakers.state(ep).state == "open"
    clock.now += 30
    breakers.start_probe(ep)
    breakers.success(ep)
    assert breakers.state(ep).state == "closed"
    assert breakers.blocked() == []


def test_serve_switches_the_engine_on_and_off() -> None:
    """GIVEN the command line
    WHEN serve is called plain, with --no-deliver or --deliver
    THEN the setting is left to its default (on), off, or on."""
    parser = build_parser()
    assert parser.parse_args(["serve"]).deliver is None
    assert parser.parse_args(["serve", "--no-deliver"]).deliver is False
    assert parser.parse_args(["serve", "--deliver"]).deliver is True
