"""Fault tests that count: documents flow from the outbox to a real marketplace
(uvicorn on loopback) while the marketplace dies, the network is cut, the appliance
processes are killed with SIGKILL and the disk runs full. In the end every document
is at the intake exactly once (distinct hashes = rows = documents), none is lost and
none is a dead letter."""

from __future__ import annotations

import hashlib
import os
import random
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.outbox import Outbox, OutboxFull, State

from .conftest import metadata_for, write_pdfs
from .faults import (
    CuttableProxy,
    LiveMarketplace,
    deliverer,
    producer,
    station_settings,
    wait_for,
)

pytestmark = pytest.mark.slow

PURGE = [sys.executable, "-m", "appliance.station", "outbox"]


@pytest.fixture
def market(tmp_path: Path) -> Iterator[LiveMarketplace]:
    live = LiveMarketplace(tmp_path / "marketplace")
    yield live
    live.kill()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def delivered(outbox: Outbox) -> int:
    return outbox.counts()[State.DELIVERED]


def assert_exactly_once(
    market: LiveMarketplace, outbox: Outbox, expected: set[str]
) -> None:
    rows, distinct, deliveries = market.counts()
    assert (rows, distinct) == (len(expected), len(expected))
    assert market.hashes() == expected
    assert deliveries >= rows
    assert outbox.counts() == {
        State.PENDING: 0,
        State.DELIVERED: len(expected),
        State.DEAD: 0,
    }


def test_marketplace_down_killed_and_restarted_loses_nothing(
    market: LiveMarketplace, tmp_path: Path
) -> None:
    """GIVEN 12 documents committed while the marketplace is down, and a real
    delivery process
    WHEN the marketplace starts, is killed with SIGKILL mid-flow while 6 more are
    committed, and starts again on the same port and database
    THEN all 18 are delivered, each stored exactly once."""
    settings = station_settings(tmp_path / "station", market.url, market.token)
    outbox = Outbox(tmp_path / "station" / "outbox")
    pdfs = write_pdfs(tmp_path / "work", 18)
    for pdf in pdfs[:12]:
        outbox.commit(pdf, metadata_for(pdf))
    sender = deliverer(settings, tmp_path / "deliverer.log")
    try:
        wait_for(
            lambda: any(e.attempts for e in outbox.entries()),
            20,
            "first failed try",
            sender,
        )
        assert delivered(outbox) == 0
        market.start()
        wait_for(lambda: delivered(outbox) >= 3, 60, "some delivered", sender)
        market.kill()
        for pdf in pdfs[12:]:
            outbox.commit(pdf, metadata_for(pdf))
        time.sleep(0.5)
        market.start()
        wait_for(lambda: delivered(outbox) == 18, 90, "all delivered", sender)
    finally:
        sender.stop()
    assert_exactly_once(market, outbox, {sha(p) for p in pdfs})


def test_network_cuts_mid_transfer_lose_nothing(
    market: LiveMarketplace, tmp_path: Path
) -> None:
    """GIVEN a TCP proxy between the appliance and the marketplace
    WHEN the connection is cut (reset mid-transfer) four times while 24 documents
    are delivered
    THEN every document arrives exactly once; repeats are counted, not stored."""
    market.start()
    proxy = CuttableProxy(market.port)
    settings = station_settings(tmp_path / "station", proxy.url, market.token)
    outbox = Outbox(tmp_path / "station" / "outbox")
    pdfs = write_pdfs(tmp_path / "work", 24)
    for pdf in pdfs:
        outbox.commit(pdf, metadata_for(pdf))
    sender = deliverer(settings, tmp_path / "deliverer.log")
    rng = random.Random(3)  # noqa: S311 - test timing, not cryptography
    try:
        wait_for(lambda: delivered(outbox) >= 1, 30, "documents flowing", sender)
        for _ in range(4):
            time.sleep(rng.uniform(0.05, 0.3))
            proxy.cut()
            time.sleep(rng.uniform(0.1, 0.4))
            proxy.restore()
        wait_for(lambda: delivered(outbox) == 24, 90, "all delivered", sender)
    finally:
        sender.stop()
        proxy.close()
    assert proxy.cuts == 4
    assert proxy.connections_cut >= 1  # at least one cut hit an open connection
    assert_exactly_once(market, outbox, {sha(p) for p in pdfs})


def test_kill_9_of_the_appliance_at_random_points_loses_nothing(
    market: LiveMarketplace, tmp_path: Path
) -> None:
    """GIVEN 30 scanned PDFs waiting in the station's work folder
    WHEN the committing process and the delivery process are killed with SIGKILL
    at random moments six times and restarted
    THEN every document left the work folder only after its commit, and every one
    is at the intake exactly once."""
    market.start()
    settings = station_settings(tmp_path / "station", market.url, market.token)
    folder = tmp_path / "station" / "outbox"
    source = tmp_path / "work"
    pdfs = write_pdfs(source, 30)
    expected = {sha(p) for p in pdfs}
    rng = random.Random(9)  # noqa: S311 - test timing, not cryptography
    kills = 0
    for round_ in range(6):
        commit = producer(source, folder, tmp_path / f"producer-{round_}.log", 0.02)
        send = deliverer(settings, tmp_path / f"deliverer-{round_}.log")
        time.sleep(rng.uniform(0.3, 0.9))
        for process in (commit, send):
            if process.process.poll() is None:
                kills += 1
            process.stop(signal.SIGKILL)
        remaining = {sha(p) for p in source.glob("*.pdf")}
        in_outbox = {e.sha256 for e in Outbox(folder).entries(limit=1000)}
        assert remaining | in_outbox == expected  # nothing lost at any moment
    assert kills >= 6
    final = producer(source, folder, tmp_path / "producer-final.log", 0)
    assert final.process.wait(60) == 0
    final.stop()
    last = deliverer(settings, tmp_path / "deliverer-final.log", until_empty=True)
    assert last.process.wait(120) == 0, last.output()
    last.stop()
    assert list(source.glob("*.pdf")) == []
    assert_exactly_once(market, Outbox(folder), expected)


def _mount_tmpfs(path: Path, size: str) -> None:
    path.mkdir(parents=True)
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:  # root without CAP_SYS_ADMIN, e.g. some containers
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.decode().strip()}")


@pytest.mark.skipif(
    os.geteuid() != 0, reason="mounting a small tmpfs needs root (CI runs as root)"
)
def test_full_disk_refuses_cleanly_and_loses_nothing(
    market: LiveMarketplace, tmp_path: Path
) -> None:
    """GIVEN the outbox on a real 1 MiB tmpfs (a small disk mounted for the test;
    it needs root, which CI has) with a 300 KiB reserve, and 30 PDFs of 40 KiB
    WHEN they are committed until the disk is full, and one more is forced past
    the reserve until the kernel answers ENOSPC
    THEN each refused one raises OutboxFull ("voll") and stays in the work folder,
    no partial file or row is left; after delivery frees the space the rest is
    committed and every document is at the intake exactly once."""
    mount = tmp_path / "small-disk"
    _mount_tmpfs(mount, "1m")
    try:
        market.start()
        folder = mount / "outbox"
        settings = station_settings(
            tmp_path / "station", market.url, market.token, str(folder)
        )
        outbox = Outbox(folder, reserve_bytes=300 * 1024)
        source = tmp_path / "work"
        pdfs = write_pdfs(source, 30)
        for pdf in pdfs:
            pdf.write_bytes(
                pdf.read_bytes() + b"\n%" + os.urandom(20_000).hex().encode()
            )
        expected = {sha(p) for p in pdfs}
        refused = _commit_all(outbox, source)
        assert refused, "the small disk never ran full"
        assert all("voll" in message for message in refused)
        _force_past_reserve(folder, tmp_path / "huge.pdf")
        rounds = 0
        while list(source.glob("*.pdf")):
            rounds += 1
            _deliver_until_empty(settings, tmp_path / f"deliver-{rounds}.log")
            purged = subprocess.run(
                [*PURGE, "--settings", str(settings), "purge"],
                capture_output=True,
                text=True,
                check=True,
            )
            assert re.match(r"[1-9]\d* zugestellte Datei\(en\) entfernt", purged.stdout)
            _commit_all(outbox, source)
            assert rounds < 10
        _deliver_until_empty(settings, tmp_path / "deliver-last.log")
        assert_exactly_once(market, outbox, expected)
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def _force_past_reserve(folder: Path, huge: Path) -> None:
    """Without a reserve, a document larger than the free space hits ENOSPC."""
    rows = sum(Outbox(folder).counts().values())
    huge.write_bytes(b"%PDF-1.4\n" + os.urandom(2 * 1024 * 1024))
    with pytest.raises(OutboxFull, match="voll"):
        Outbox(folder, reserve_bytes=0).commit(huge, metadata_for(huge))
    assert sum(Outbox(folder).counts().values()) == rows
    assert not list((folder / "documents").glob(".*.tmp"))
    huge.unlink()


def _commit_all(outbox: Outbox, source: Path) -> list[str]:
    refused = []
    for pdf in sorted(source.glob("*.pdf")):
        try:
            outbox.commit(pdf, metadata_for(pdf))
        except OutboxFull as exc:
            refused.append(exc.message)
            continue
        pdf.unlink()
    return refused


def _deliver_until_empty(settings: Path, log: Path) -> None:
    process = deliverer(settings, log, until_empty=True)
    assert process.process.wait(120) == 0, process.output()
    process.stop()
