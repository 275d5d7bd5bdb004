"""The delivery ENGINE against a plain HTTP POST loop, per receiver kind.

For each reference receiver (FIT-Connect, xdomea E-Akte, webhook; real processes
on loopback) and the drop folder, this enqueues N online submissions with one
document of S bytes each (stored on disk like the API stores them), then starts
the marketplace's ``DeliveryEngine`` on that SQLite file and times until every
outbox row is delivered. In the same run it POSTs N equally large bodies in a
plain sequential httpx loop to the same receiver process (``/_sink``), or
writes and fsyncs N files for the drop folder, and sends N submissions through
the bare connector in a sequential loop. It prints deliveries per second, the
ratio engine / plain (target >= 0.50), engine / bare connector (what the outbox,
leases and the transfer log cost), and the peak RSS of this process (the engine
reads one submission per delivery slot, never the whole queue).

    .venv/bin/python benchmarks/delivery.py --quick     # 100 x 1 MiB per kind
    .venv/bin/python benchmarks/delivery.py             # 10,000 x 1 MiB per kind
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks import plain_loops  # noqa: E402
from connectors import registry  # noqa: E402
from connectors.results import Delivered  # noqa: E402
from marketplace.db import Database  # noqa: E402
from marketplace.delivery.engine import DeliveryEngine  # noqa: E402
from marketplace.settings import Settings  # noqa: E402
from tests.connectors import samples  # noqa: E402
from tests.connectors.conftest import (  # noqa: E402
    FIT_SECRET,
    WEBHOOK_SECRET,
    Receiver,
    eakte_settings,
    fitconnect_settings,
    webhook_settings,
)
from tests.marketplace.delivery import queue  # noqa: E402


def _cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _cpu_of(receiver: Receiver | None) -> float:
    """CPU seconds (user + system) a receiver process has used so far."""
    if receiver is None or receiver.process is None:
        return 0.0
    fields = Path(f"/proc/{receiver.process.process.pid}/stat").read_text()
    utime, stime = fields.rsplit(")", 1)[1].split()[11:13]
    return (int(utime) + int(stime)) / os.sysconf("SC_CLK_TCK")


async def _engine(
    path: Path,
    kind: str,
    settings: dict[str, Any],
    sizes: tuple[int, int, int],
    receiver: Receiver | None,
) -> tuple[float, float, float, float]:
    """(enqueue s, engine s, engine-process CPU s, receiver CPU s)."""
    count, size, slots = sizes
    config = Settings(db_path=path, delivery_poll=0.02, delivery_concurrency=slots)
    async with Database(path, readers=2) as db:
        enqueue = await queue.enqueue(db, kind, settings, count, size)
        engine = DeliveryEngine(config)
        cpu, cpu_receiver = _cpu_self(), _cpu_of(receiver)
        start = time.perf_counter()
        await engine.start(db)
        try:
            while (settled := await _settled(db))[0] < count:
                if settled[1]:
                    raise RuntimeError(f"{kind}: dead letters, see the outbox")
                await asyncio.sleep(0.02)
        finally:
            took = time.perf_counter() - start
            cpu, cpu_receiver = _cpu_self() - cpu, _cpu_of(receiver) - cpu_receiver
            await engine.stop()
    return enqueue, took, cpu, cpu_receiver


async def _settled(db: Database) -> tuple[int, int]:
    """(delivered, dead) in one read; polled every 20 ms beside the engine."""
    async with db.read() as conn:
        cursor = await conn.execute(
            "SELECT COALESCE(SUM(state = 'delivered'), 0),"
            " COALESCE(SUM(state = 'dead'), 0) FROM delivery_outbox"
        )
        row = await cursor.fetchone()
        await cursor.close()
    return (int(row[0]), int(row[1])) if row else (0, 0)


async def _plain(base: str, count: int, size: int) -> float:
    body = samples.fake_pdf(size)
    async with httpx.AsyncClient(timeout=60) as client:
        start = time.perf_counter()
        for _ in range(count):
            response = await client.post(f"{base}/_sink", content=body)
            response.raise_for_status()
        return time.perf_counter() - start


def _plain_files(folder: Path, count: int, size: int) -> float:
    """Baseline for the drop folder: write and fsync one file per submission."""
    folder.mkdir()
    body = samples.fake_pdf(size)
    start = time.perf_counter()
    for n in range(count):
        with (folder / f"{n}.pdf").open("wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
    return time.perf_counter() - start


async def _connector(
    kind: str, settings: dict[str, Any], count: int, size: int
) -> float:
    """The bare connector in a sequential loop over in-memory submissions: what the
    engine adds on top of the connector and the receiver is engine / connector."""
    connector = registry.build(kind, settings)
    try:
        took = 0.0
        for _ in range(count):
            item = samples.submission("bench-bare", size=size)
            start = time.perf_counter()
            result = await connector.deliver(item)
            took += time.perf_counter() - start
            if not isinstance(result, Delivered):
                raise RuntimeError(f"{kind}: {result}")
        return took
    finally:
        await connector.aclose()


def _receiver(kind: str, folder: Path) -> tuple[Receiver, dict[str, Any]]:
    if kind == "fitconnect":
        receiver = Receiver(
            "fitconnect", folder / kind, ["--client-secret", FIT_SECRET]
        )
        return receiver, fitconnect_settings(
            receiver, timeout=60.0, confirm_timeout=60.0
        )
    if kind == "xdomea":
        receiver = Receiver("eakte", folder / kind, [])
        return receiver, eakte_settings(receiver, timeout=60.0)
    receiver = Receiver("webhook", folder / kind, ["--secret", WEBHOOK_SECRET])
    return receiver, webhook_settings(receiver, timeout=60.0)


def _one(
    kind: str, folder: Path, count: int, size: int, slots: int
) -> dict[str, float]:
    """Seconds and CPU seconds of every phase for one kind."""
    db_path = folder / f"{kind}.sqlite3"
    asyncio.run(queue.prepare(db_path))
    receiver: Receiver | None = None
    found: dict[str, float] = {}
    if kind == "dropfolder":
        (folder / "drop").mkdir()
        settings: dict[str, Any] = {"path": str(folder / "drop"), "min_free_bytes": 0}
        cpu = _cpu_self()
        found["sink"] = found["same"] = _plain_files(folder / "plain", count, size)
        found["cpu_sink"], found["rcv_sink"] = _cpu_self() - cpu, 0.0
    else:
        receiver, settings = _receiver(kind, folder)
        receiver.start()
    try:
        if receiver is not None:
            cpu, rcv = _cpu_self(), _cpu_of(receiver)
            found["sink"] = asyncio.run(_plain(receiver.base, count, size))
            found["cpu_sink"] = _cpu_self() - cpu
            found["rcv_sink"] = _cpu_of(receiver) - rcv
            found["same"] = asyncio.run(
                plain_loops.same_work(kind, settings, count, size)
            )
        found["conn"] = asyncio.run(_connector(kind, settings, count, size))
        run = _engine(db_path, kind, settings, (count, size, slots), receiver)
        measured = asyncio.run(run)
        found["enqueue"], found["engine"], found["cpu"], found["rcv"] = measured
    finally:
        if receiver is not None:
            receiver.stop()
    return found


LEGEND = """\
sink/s: plain sequential httpx POST loop of S bytes to the receiver's /_sink, which
  reads and discards (drop folder: write + fsync of one file); the issue's baseline.
same/s: plain sequential loop that makes the receiver do its full work (see below).
conn/s: the bare connector in a sequential loop, without engine.
engine/s: the DeliveryEngine from the SQLite outbox; eng/sink is the issue's ratio
  (target >= 0.50); eng/same the fair ratio against a loop with the same work.
CPU: snd = this process in the sink loop, proc = this process while the engine
  runs (engine, connector, SQLite), rcv = the receiver process; on two cores of
  its own a kind cannot go faster than 1000 / max(proc, rcv) per second."""

NOTES = {
    "fitconnect": "same = "
    + plain_loops.WHAT["fitconnect"]
    + ". Inherent to the protocol: per submission the receiver makes three "
    "RSA-4096 decryptions (the keys of attachment, metadata and data), base64 and "
    "AES-GCM over 1 MiB, SHA-512 checks, JSON-schema validation and a PS512-signed "
    "confirmation that the sender has to poll for; /_sink only reads 1 MiB, so "
    "eng/sink cannot reach 0.50.",
    "xdomea": "same = "
    + plain_loops.WHAT["xdomea"]
    + ". The E-Akte unzips, validates the 0401, checks SHA-256, writes the files "
    "and commits its inbox per message.",
    "webhook": "same = "
    + plain_loops.WHAT["webhook"]
    + ". One document goes raw (no base64); the receiver checks the HMAC, decodes "
    "the X-Submission JSON, verifies SHA-256 and commits its inbox.",
    "dropfolder": "same = sink (write + fsync of one file); a delivery also "
    "writes the manifest, fsyncs both directories and renames.",
}


def _cpu_table(results: dict[str, dict[str, float]], count: int) -> None:
    print("CPU ms per submission (user + system), sink loop and engine run:")
    print(f"{'kind':<12}{'sink snd':>9}{'sink rcv':>9}{'eng proc':>9}{'eng rcv':>9}")
    for kind, found in results.items():
        per = {key: found[key] / count * 1000 for key in ("cpu_sink", "rcv_sink")}
        per |= {key: found[key] / count * 1000 for key in ("cpu", "rcv")}
        print(
            f"{kind:<12}{per['cpu_sink']:>9.1f}{per['rcv_sink']:>9.1f}"
            f"{per['cpu']:>9.1f}{per['rcv']:>9.1f}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=1024 * 1024)
    parser.add_argument(
        "--slots", type=int, default=4, help="delivery slots of the engine"
    )
    parser.add_argument("--quick", action="store_true", help="100 submissions of 1 MiB")
    parser.add_argument("--kinds", default="fitconnect,xdomea,webhook,dropfolder")
    args = parser.parse_args()
    count = 100 if args.quick else args.count
    print(
        f"{count} submissions x {args.size} bytes per kind, engine with {args.slots} slots"
    )
    print(
        f"{'kind':<12}{'sink/s':>8}{'same/s':>8}{'conn/s':>8}{'engine/s':>9}"
        f"{'eng/sink':>9}{'eng/same':>9}{'eng/conn':>9}{'enqueue/s':>10}"
    )
    kinds = args.kinds.split(",")
    results: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for kind in kinds:
            folder = Path(tmp) / kind
            folder.mkdir()
            results[kind] = found = _one(kind, folder, count, args.size, args.slots)
            sink, same, took = found["sink"], found["same"], found["engine"]
            print(
                f"{kind:<12}{count / sink:>8.1f}{count / same:>8.1f}"
                f"{count / found['conn']:>8.1f}{count / took:>9.1f}"
                f"{sink / took:>9.2f}{same / took:>9.2f}"
                f"{found['conn'] / took:>9.2f}{count / found['enqueue']:>10.1f}",
                flush=True,
            )
    _cpu_table(results, count)
    print(LEGEND)
    for kind in kinds:
        print(f"* {kind}: {NOTES[kind]}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the benchmark process (engine included): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
