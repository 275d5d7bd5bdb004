"""The wall clocks of the marketplace and of the station jump two hours ahead
and back (an NTP step, a wrong real-time clock) while documents wait for a
retry. Retries scheduled in the jumped time must not wait two hours once the
clock is right again: everything arrives, counted."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from appliance.outbox import State
from tests.connectors.conftest import Receiver

from .clock import require_faketime
from .ledger import account, settle
from .mail import feed, make_batches
from .market import LiveMarket
from .station import LiveStation, station_folder

pytestmark = pytest.mark.slow


def wait(condition: Callable[[], bool], what: str, within: float = 120) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.1)


def test_retries_scheduled_while_the_clock_was_ahead_run_once_it_is_back(
    seed: int,
    market: LiveMarket,
    live_receivers: dict[str, Receiver],
    tmp_path: Path,
) -> None:
    """GIVEN an enrolled station with its outbox delivery in a separate process,
    a marketplace whose receivers are down, and two batches of 3 letter pages
    WHEN the first batch reaches the intake and waits for the receivers while the
    marketplace clock is 2 h ahead for a few seconds and then right again, and
    the second batch waits on the station while the station's clock is 2 h ahead
    (the marketplace refuses its signatures as too far off) and then right again
    THEN once the receivers are back, within two minutes every page is in
    exactly one document delivered to each receiver once, and every PDF
    verifies."""
    require_faketime()
    first, second = make_batches(tmp_path / "papier", 6, 3, seed)
    documents = len(first.documents) + len(second.documents)
    for receiver in live_receivers.values():
        receiver.stop()
    station = LiveStation(station_folder(tmp_path / "station", market, deliver=False))
    station.start()
    sender = station.deliverer(tmp_path / "deliverer.log")
    try:
        feed(first, station.inbox)
        assert station.wait_batch(station.start_batch())["state"] == "done"
        wait(
            lambda: intake_rows(market) == len(first.documents),
            f"first batch at the intake: {station.outbox.counts()}",
        )
        market.clock.jump("+2h")
        wait(lambda: retried_after_jump(market), "marketplace retried in +2 h")
        market.clock.jump("+0")
        station.clock.jump("+2h")
        feed(second, station.inbox)
        assert station.wait_batch(station.start_batch())["state"] == "done"
        wait(lambda: refused(station) == len(second.documents), "station refused")
        station.clock.jump("+0")
        time.sleep(1.5)  # both clocks right again before the receivers return
        for receiver in live_receivers.values():
            receiver.start()
        settle(station, market, 120, documents=documents)
        count = account(
            station,
            market,
            live_receivers,
            pages=first.pages + second.pages,
            documents=documents,
        )
    finally:
        sender.stop()
        station.close()
    assert count.dead == []


def intake_rows(market: LiveMarket) -> int:
    return int(market.query("SELECT COUNT(*) FROM intake_documents")[0][0])


def retried_after_jump(market: LiveMarket) -> bool:
    """Every row's next try is scheduled more than an hour ahead (the jump)."""
    rows = market.query(
        "SELECT next_attempt_at - ? FROM delivery_outbox WHERE state = 'pending'",
        time.time(),
    )
    return bool(rows) and all(ahead > 3600 for (ahead,) in rows)


def refused(station: LiveStation) -> int:
    """Documents waiting on the station after the marketplace refused them."""
    return sum(
        1
        for entry in station.outbox.entries(State.PENDING)
        if entry.attempts and "Anmeldung" in entry.last_error
    )
