"""The disk of the station's data directory (work folders, documents, station
database and outbox) runs full in the middle of a batch. The disk is a real
small file system: a 64 MiB tmpfs mounted for the test (needs root, which CI
has; skipped elsewhere), filled with a ballast file until little is left."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.connectors.conftest import Receiver

from .ledger import account, settle
from .mail import feed, make_batches
from .market import LiveMarket
from .station import MIN_FREE, LiveStation, station_folder

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root"),
]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "kleine-platte"
    mount.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:  # root without CAP_SYS_ADMIN, e.g. some containers
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """A ballast file that leaves about ``leave`` bytes free."""
    ballast = disk / "ballast"
    free = os.statvfs(disk).f_bavail * os.statvfs(disk).f_frsize
    with ballast.open("wb") as handle:
        os.posix_fallocate(handle.fileno(), 0, max(0, free - leave))
    return ballast


def test_a_full_disk_stops_the_batch_and_loses_no_page(
    seed: int,
    market: LiveMarket,
    live_receivers: dict[str, Receiver],
    small_disk: Path,
    tmp_path: Path,
) -> None:
    """GIVEN a station whose data directory is on a 64 MiB disk, with a first
    batch of 2 letter pages delivered
    WHEN the disk is filled to 2 MiB above the station's 8 MiB minimum and a
    batch of 2 pages is scanned
    THEN the batch stops with "fast voll", the station keeps serving, every input
    file is still in the input folder and nothing new is in the outbox; after the
    ballast is removed and the batch started again, every page of both batches
    is in exactly one document delivered to each receiver once."""
    first, second = make_batches(tmp_path / "papier", 4, 2, seed)
    second_files = second.files
    station = LiveStation(
        station_folder(tmp_path / "station", market, data=small_disk / "daten")
    )
    station.start()
    try:
        feed(first, station.inbox)
        assert station.wait_batch(station.start_batch())["state"] == "done"
        settle(station, market, 120, documents=len(first.documents))
        ballast = fill(small_disk, MIN_FREE + 2 * 1024 * 1024)
        feed(second, station.inbox)
        stopped = station.wait_batch(station.start_batch())
        print(f"full disk: {stopped}")
        assert stopped["state"] == "failed", stopped
        assert "fast voll" in str(stopped["message"])
        assert sorted(p.name for p in station.inbox.iterdir()) == sorted(
            p.name for p in second_files
        )
        assert sum(station.outbox.counts().values()) == len(first.documents)
        ballast.unlink()
        assert station.wait_batch(station.start_batch())["state"] == "done"
        documents = len(first.documents) + len(second.documents)
        settle(station, market, 120, documents=documents)
        count = account(
            station,
            market,
            live_receivers,
            pages=first.pages + second.pages,
            documents=documents,
        )
    finally:
        station.close()
    assert count.dead == []
