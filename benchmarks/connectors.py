"""Connector throughput against the reference receivers, beside a plain POST loop.

For each HTTP receiver (FIT-Connect, xdomea E-Akte, webhook) started as a real
process on loopback, and for the drop folder, this sends N submissions with one
document of S bytes through the connector, and in the same run POSTs the same
number of equally large bodies in a plain httpx loop to the same receiver
process (``/_sink``, which reads and discards), and a plain loop that sends the
same prepared payloads to the receiver's real endpoint, so the receiver does its
full work (``plain_loops``). It prints deliveries per second, the ratio
connector / sink (the issue's target: at least 0.50) and connector / same work,
plus the peak RSS of this process. Submissions are generated one at a time, so memory stays bounded.

    .venv/bin/python benchmarks/connectors.py --quick
    .venv/bin/python benchmarks/connectors.py            # 10,000 x 1 MiB each
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks import plain_loops  # noqa: E402
from connectors import registry  # noqa: E402
from connectors.results import Delivered  # noqa: E402
from connectors.submission import Submission  # noqa: E402
from tests.connectors import samples  # noqa: E402
from tests.connectors.conftest import (  # noqa: E402
    FIT_SECRET,
    WEBHOOK_SECRET,
    Receiver,
    eakte_settings,
    fitconnect_settings,
    webhook_settings,
)


def _submissions(prefix: str, count: int, size: int) -> Iterator[Submission]:
    for _ in range(count):
        yield samples.submission(prefix, size=size)


async def _plain(base: str, count: int, size: int) -> float:
    body = samples.fake_pdf(size)
    async with httpx.AsyncClient(timeout=60) as client:
        start = time.perf_counter()
        for _ in range(count):
            response = await client.post(f"{base}/_sink", content=body)
            response.raise_for_status()
        return time.perf_counter() - start


async def _connector(
    kind: str, settings: dict[str, Any], count: int, size: int
) -> float:
    connector = registry.build(kind, settings)
    try:
        took = 0.0
        for item in _submissions(f"bench-{kind}", count, size):
            start = time.perf_counter()  # only the delivery is timed, not the sample
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--size", type=int, default=1024 * 1024)
    parser.add_argument(
        "--quick", action="store_true", help="100 submissions of 256 KiB"
    )
    parser.add_argument("--kinds", default="fitconnect,xdomea,webhook,dropfolder")
    args = parser.parse_args()
    count, size = (100, 256 * 1024) if args.quick else (args.count, args.size)
    print(f"{count} submissions x {size} bytes per connector")
    print(
        f"{'connector':<12}{'sink/s':>9}{'same/s':>9}{'conn/s':>9}"
        f"{'conn/sink':>10}{'conn/same':>10}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for kind in args.kinds.split(","):
            if kind == "dropfolder":
                target = folder / "drop"
                target.mkdir()
                settings = {"path": str(target), "min_free_bytes": 0}
                plain = same = _plain_files(target / "plain", count, size)
                took = asyncio.run(_connector(kind, settings, count, size))
            else:
                receiver, settings = _receiver(kind, folder)
                receiver.start()
                try:
                    plain = asyncio.run(_plain(receiver.base, count, size))
                    same = asyncio.run(
                        plain_loops.same_work(kind, settings, count, size)
                    )
                    took = asyncio.run(_connector(kind, settings, count, size))
                finally:
                    receiver.stop()
            print(
                f"{kind:<12}{count / plain:>9.1f}{count / same:>9.1f}"
                f"{count / took:>9.1f}{plain / took:>10.2f}{same / took:>10.2f}",
                flush=True,
            )
    print("sink: POST to /_sink, read and discarded (drop folder: write + fsync);")
    print("same: " + "; ".join(f"{k}: {v}" for k, v in plain_loops.WHAT.items()))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the sending process: {peak:.0f} MiB")


def _plain_files(folder: Path, count: int, size: int) -> float:
    """Baseline for the drop folder: write and fsync one file per submission."""
    import os

    folder.mkdir()
    body = samples.fake_pdf(size)
    start = time.perf_counter()
    for n in range(count):
        with (folder / f"{n}.pdf").open("wb") as handle:
            handle.write(body)
            handle.flush()
            os.fsync(handle.fileno())
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
