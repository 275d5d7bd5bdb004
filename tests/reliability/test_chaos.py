"""Scanned pages flow from a scan station through the marketplace to the
reference receivers while the processes are killed with SIGKILL at random points
and restarted, the receivers are stopped and started again and the marketplace's
clock jumps. The count at the end proves every page is in exactly one document
that reached every receiver exactly once (or is a dead letter with its reason),
and every PDF the E-Akte holds verifies.

Real processes on loopback throughout: ``appliance serve`` (the full pipeline
with OCR on cheap generated letters, auto-commit, outbox delivery signed with
the enrolled device credential), ``marketplace serve`` (intake and delivery
engine; libfaketime for its clock) and the webhook and E-Akte receivers.
``RELIABILITY_PAGES`` (default 16) and ``RELIABILITY_SEED`` replay larger or
failed runs.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

import pytest

from tests.connectors.conftest import Receiver

from .ledger import account, settle
from .mail import feed, make_batches, pages_wanted
from .market import LiveMarket
from .station import LiveStation, station_folder

pytestmark = pytest.mark.slow

FAULTS = ("station", "marketplace", "receivers", "clock")
PAGES_PER_BATCH = 4


def test_every_page_arrives_once_through_kills_restarts_and_clock_jumps(
    seed: int,
    market: LiveMarket,
    live_receivers: dict[str, Receiver],
    tmp_path: Path,
) -> None:
    """GIVEN an enrolled station, a marketplace routing the demo service to a
    webhook and an E-Akte receiver, and 16 letter pages in batches of 4
    WHEN each batch is scanned while one fault (seeded order, every kind at least
    once) hits at a random moment: the station killed with SIGKILL and the batch
    started again, the marketplace killed and restarted, both receivers stopped
    for a while, or the marketplace clock jumping 2 h ahead and back
    THEN after all is up again every page is in exactly one committed document,
    each document is at the intake once and at each receiver exactly once or a
    dead letter with its reason, and every PDF at the E-Akte verifies."""
    rng = random.Random(seed)  # noqa: S311 - fault timing, not cryptography
    pages = pages_wanted(16)
    batches = make_batches(tmp_path / "papier", pages, PAGES_PER_BATCH, seed)
    faults = [FAULTS[i % len(FAULTS)] for i in range(len(batches))]
    rng.shuffle(faults)
    station = LiveStation(station_folder(tmp_path / "station", market))
    station.start()
    try:
        for batch, fault in zip(batches, faults, strict=True):
            feed(batch, station.inbox)
            scan_with_fault(station, market, live_receivers, fault, rng)
        documents = sum(len(b.documents) for b in batches)
        settle(station, market, 120 + 2 * pages, documents=documents)
        count = account(
            station, market, live_receivers, pages=pages, documents=documents
        )
    finally:
        station.close()
    print(f"count: {count}")
    assert count.delivered == {"webhook": documents, "eakte": documents}
    assert count.dead == []


def scan_with_fault(
    station: LiveStation,
    market: LiveMarket,
    receivers: dict[str, Receiver],
    fault: str,
    rng: random.Random,
) -> None:
    """Run one batch to its end with ``fault`` striking at a random moment."""
    batch_id = station.start_batch()
    time.sleep(rng.uniform(0.3, 4.0))
    if fault == "station":
        station.kill()
        station.start()
        interrupted = station.batch(batch_id)
        assert interrupted["state"] in ("failed", "done"), interrupted
        if interrupted["state"] == "failed":
            batch_id = station.start_batch()
    elif fault == "marketplace":
        market.kill()
        time.sleep(rng.uniform(0.2, 2.0))
        market.start()
    elif fault == "receivers":
        for receiver in receivers.values():
            receiver.stop()
    elif fault == "clock":
        market.clock.jump("+2h")
    status = station.wait_batch(batch_id)
    assert status["state"] == "done", status
    time.sleep(rng.uniform(0.5, 2.0))  # deliveries meet the fault for a while
    if fault == "receivers":
        for receiver in receivers.values():
            receiver.start()
    elif fault == "clock":
        market.clock.jump("+0")
