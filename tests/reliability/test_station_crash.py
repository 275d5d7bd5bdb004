"""The station killed with SIGKILL while it commits a finished batch's documents
to the outbox: some documents are committed, the input files are still in the
input folder (they leave it only after the batch), and the operator starts the
batch again as the station asks. No page may reach the Fachverfahren twice."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.connectors.conftest import Receiver

from .ledger import account, settle
from .mail import feed, make_batches
from .market import LiveMarket
from .station import LiveStation, station_folder

pytestmark = pytest.mark.slow


def test_killed_between_commits_the_batch_run_again_sends_no_page_twice(
    seed: int,
    market: LiveMarket,
    live_receivers: dict[str, Receiver],
    tmp_path: Path,
) -> None:
    """GIVEN a station processing a batch of 6 letter pages
    WHEN it is killed with SIGKILL as soon as the first document of the finished
    batch is in the outbox, restarted, and the interrupted batch started again
    THEN the first batch shows as interrupted with documents already committed,
    and in the end every page is in exactly one delivered document."""
    [batch] = make_batches(tmp_path / "papier", 6, 6, seed)
    station = LiveStation(station_folder(tmp_path / "station", market))
    station.start()
    try:
        feed(batch, station.inbox)
        first = station.start_batch()
        deadline = time.monotonic() + 120
        while not sum(station.outbox.counts().values()):
            assert time.monotonic() < deadline, station.output()
            time.sleep(0.005)
        station.kill()
        committed = sum(station.outbox.counts().values())
        station.start()
        assert station.batch(first)["state"] == "failed"
        # killed inside the window: documents committed, inputs not yet set aside
        assert len(list(station.inbox.iterdir())) == len(batch.files), committed
        again = station.start_batch()
        assert station.wait_batch(again)["state"] == "done"
        settle(station, market, 120, documents=len(batch.documents))
        count = account(
            station,
            market,
            live_receivers,
            pages=batch.pages,
            documents=len(batch.documents),
        )
    finally:
        station.close()
    assert count.dead == []
