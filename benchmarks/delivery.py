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
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from connectors import registry  # noqa: E402
from connectors.results import Delivered  # noqa: E402
from connectors.submission import Document, Metadata  # noqa: E402
from marketplace.db import Database  # noqa: E402
from marketplace.delivery import blobs, repository  # noqa: E402
from marketplace.delivery.engine import DeliveryEngine  # noqa: E402
from marketplace.delivery.enqueue import (  # noqa: E402
    document_ref,
    enqueue_submission,
    new_id,
)
from marketplace.delivery.rules import endpoint  # noqa: E402
from marketplace.delivery.schemas import Envelope  # noqa: E402
from marketplace.settings import Settings  # noqa: E402
from marketplace.subscriptions import repository as subscriptions  # noqa: E402
from tests.connectors import samples  # noqa: E402
from tests.connectors.conftest import (  # noqa: E402
    FIT_SECRET,
    WEBHOOK_SECRET,
    Receiver,
    eakte_settings,
    fitconnect_settings,
    webhook_settings,
)

SUBSCRIPTION = "bench-sub"


def _prepare(path: Path) -> None:
    """The schema, and one subscription row without its catalog (the engine does
    not read the catalog; foreign keys are off for this one insert only)."""
    asyncio.run(_migrate(path))
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute(
            "INSERT INTO subscriptions (id, contract_id, municipality_ags,"
            " provider_id, offer_id, offer_version_id, environment, endpoint_url,"
            " fachverfahren, state, created_at, updated_at) VALUES (?, 1,"
            " '14713000', 'lecos', 1, 1, 'production', 'http://x', 'Benchmark',"
            " 'active', '2026-01-01', '2026-01-01')",
            (SUBSCRIPTION,),
        )


async def _migrate(path: Path) -> None:
    async with Database(path, readers=1):
        pass


async def _enqueue(
    db: Database, kind: str, settings: dict[str, Any], count: int, size: int
) -> float:
    """N submissions with distinct documents stored on disk; returns seconds."""
    start = time.perf_counter()
    now = datetime.now(UTC).isoformat()
    async with db.transaction() as conn:
        route_id = await repository.insert_route(
            conn,
            SUBSCRIPTION,
            {
                "name": kind,
                "environment": "production",
                "kind": kind,
                "settings": settings,
                "endpoint": endpoint(kind, settings),
                "enabled": True,
            },
            now,
        )
    root = blobs.data_dir(db.path)
    for n in range(count):
        content = samples.fake_pdf(size, f"{kind}-{n}")
        document = Document.from_bytes(content, filename="Antrag.pdf")
        location = await asyncio.to_thread(blobs.store, root, document.sha256, content)
        envelope = Envelope(
            submission_id=new_id(),
            test=False,
            metadata=Metadata(
                leika="99070004012000",
                ags="14713000",
                office="Ordnungsamt",
                received_at=datetime.now(UTC),
                channel="online",
                identification_level="substantial",
            ),
            data={"antrag": {"zone": "3"}},
            documents=(document_ref(document, location),),
        )
        async with db.transaction() as conn:
            found = await subscriptions.get(
                conn, SUBSCRIPTION, datetime.now(UTC).date()
            )
            route = await repository.route(conn, route_id)
            assert route is not None
            await enqueue_submission(conn, found, envelope, "api", None, [route])
    return time.perf_counter() - start


async def _engine(
    path: Path, kind: str, settings: dict[str, Any], count: int, size: int, slots: int
) -> tuple[float, float]:
    config = Settings(db_path=path, delivery_poll=0.02, delivery_concurrency=slots)
    async with Database(path, readers=2) as db:
        enqueue = await _enqueue(db, kind, settings, count, size)
        engine = DeliveryEngine(config)
        start = time.perf_counter()
        await engine.start(db)
        try:
            while await _delivered(db) < count:
                if await _dead(db):
                    raise RuntimeError(f"{kind}: dead letters, see the outbox")
                await asyncio.sleep(0.02)
        finally:
            took = time.perf_counter() - start
            await engine.stop()
    return enqueue, took


async def _delivered(db: Database) -> int:
    async with db.read() as conn:
        cursor = await conn.execute(
            "SELECT COUNT(*) FROM delivery_outbox WHERE state = 'delivered'"
        )
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _dead(db: Database) -> int:
    async with db.read() as conn:
        cursor = await conn.execute(
            "SELECT COUNT(*) FROM delivery_outbox WHERE state = 'dead'"
        )
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


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
) -> tuple[float, float, float, float]:
    """(plain, bare connector, enqueue, engine) seconds for one kind."""
    db_path = folder / f"{kind}.sqlite3"
    _prepare(db_path)
    receiver: Receiver | None = None
    if kind == "dropfolder":
        (folder / "drop").mkdir()
        settings: dict[str, Any] = {"path": str(folder / "drop"), "min_free_bytes": 0}
        plain = _plain_files(folder / "plain", count, size)
    else:
        receiver, settings = _receiver(kind, folder)
        receiver.start()
    try:
        if receiver is not None:
            plain = asyncio.run(_plain(receiver.base, count, size))
        bare = asyncio.run(_connector(kind, settings, count, size))
        enqueue, took = asyncio.run(
            _engine(db_path, kind, settings, count, size, slots)
        )
    finally:
        if receiver is not None:
            receiver.stop()
    return plain, bare, enqueue, took


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
        f"{'kind':<12}{'plain/s':>9}{'conn/s':>9}{'engine/s':>10}{'ratio':>7}"
        f"{'eng/conn':>10}{'enqueue/s':>11}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        for kind in args.kinds.split(","):
            folder = Path(tmp) / kind
            folder.mkdir()
            plain, bare, enqueue, took = _one(
                kind, folder, count, args.size, args.slots
            )
            print(
                f"{kind:<12}{count / plain:>9.1f}{count / bare:>9.1f}"
                f"{count / took:>10.1f}{plain / took:>7.2f}{bare / took:>10.2f}"
                f"{count / enqueue:>11.1f}",
                flush=True,
            )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS of the benchmark process (engine included): {peak:.0f} MiB")


if __name__ == "__main__":
    main()
