"""Sizing: documents per second one marketplace node takes in and delivers, on the
embedded SQLite file and on PostgreSQL with 1, 2 (and 4) worker processes.

Each configuration gets a fresh database with the demo catalog, Dresden's
subscription under an active contract and one webhook route to the reference
webhook receiver (a real process on loopback). N submissions with one PDF of S
bytes each (a scanned letter) are POSTed over HTTP to the workers in turn, eight
at a time, while the workers' delivery engines deliver them. Printed per
configuration, side by side: intake rate (submissions accepted per second while
posting) and end-to-end rate (N / time from the first POST until the last
outbox row is delivered), and the ratio to the SQLite single process.

    .venv/bin/python benchmarks/scale_out.py --quick   # 200 x 100 kB
    .venv/bin/python benchmarks/scale_out.py           # 1,000 x 100 kB, also 4 workers
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import itertools
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from marketplace.db import Database, database_for  # noqa: E402
from marketplace.delivery import service  # noqa: E402
from marketplace.delivery.schemas import RouteIn  # noqa: E402
from marketplace.demo import seed_demo  # noqa: E402
from marketplace.demo.delivery import LEIKA, active_contract, principal  # noqa: E402
from marketplace.identity import service as identity  # noqa: E402
from marketplace.settings import Settings  # noqa: E402
from marketplace.subscriptions import service as subscriptions  # noqa: E402
from marketplace.subscriptions.schemas import Environment, SubscriptionIn  # noqa: E402
from tests.connectors.conftest import WEBHOOK_SECRET, Receiver  # noqa: E402
from tests.connectors.samples import fake_pdf  # noqa: E402
from tests.support.postgres import postgres_server  # noqa: E402
from tests.support.processes import VENV_BIN, LiveProcess, free_port  # noqa: E402

SUBSCRIPTION = "dresden-sizing"


async def prepare(settings: Settings, receiver: Receiver) -> str:
    """Demo catalog, subscription, webhook route; a bearer token of Dresden."""
    async with database_for(settings, connections=1) as db:
        await seed_demo(db)
        dresden = await principal(db, "dresden-einkauf")
        lecos = await principal(db, "lecos-admin")
        assert dresden is not None
        assert lecos is not None
        contract = await active_contract(
            db, dresden, lecos, provider_id="lecos", leika=LEIKA
        )
        await subscriptions.put_subscription(
            db,
            dresden,
            SUBSCRIPTION,
            SubscriptionIn(
                contract_id=contract,
                environment=Environment.PRODUCTION,
                endpoint_url=f"{receiver.base}/eingang",
                fachverfahren="Sizing",
            ),
        )
        route = RouteIn(
            name="Webhook",
            environment="production",
            kind="webhook",
            settings={"url": f"{receiver.base}/eingang", "secret": WEBHOOK_SECRET},
        )
        await service.add_route(
            db, dresden, SUBSCRIPTION, route, settings.db_path.parent
        )
        return (await identity.issue_token(db, dresden, "sizing")).token


def body(size: int) -> dict[str, Any]:
    content = fake_pdf(size, uuid.uuid4().hex)
    return {
        "metadata": {
            "leika": LEIKA,
            "ags": "14612000",
            "office": "Straßenverkehrsbehörde",
            "received_at": datetime.now(UTC).isoformat(),
            "channel": "online",
            "identification_level": "substantial",
        },
        "data": {"betreff": "Bewohnerparkausweis"},
        "documents": [
            {
                "document_id": f"doc-{uuid.uuid4().hex[:12]}",
                "filename": "Antrag.pdf",
                "media_type": "application/pdf",
                "sha256": hashlib.sha256(content).hexdigest(),
                "size": len(content),
                "content": base64.b64encode(content).decode(),
            }
        ],
    }


async def post_all(bases: list[str], token: str, count: int, size: int) -> float:
    """POST ``count`` submissions round robin, eight at a time; seconds taken."""
    headers = {"Authorization": f"Bearer {token}"}
    targets, gate = itertools.cycle(bases), asyncio.Semaphore(8)
    start = time.perf_counter()
    async with httpx.AsyncClient(timeout=60) as http:

        async def one(base: str) -> None:
            async with gate:
                url = f"{base}/api/v1/subscriptions/{SUBSCRIPTION}/submissions"
                answer = await http.post(url, json=body(size), headers=headers)
            answer.raise_for_status()

        await asyncio.gather(*(one(next(targets)) for _ in range(count)))
    return time.perf_counter() - start


async def delivered(db: Database) -> int:
    async with (
        db.read() as conn,
        conn.execute(
            "SELECT COUNT(*) FROM delivery_outbox WHERE state = 'delivered'"
        ) as cur,
    ):
        row = await cur.fetchone()
    return int(row[0]) if row else 0


async def measure(
    settings: Settings, workers: int, token: str, n: int, size: int
) -> tuple[float, float]:
    lives, bases = [], []
    for w in range(workers):
        port = free_port()
        argv = [str(VENV_BIN / "marketplace"), "--db", str(settings.db_path)]
        argv += (
            ["--database-url", settings.database_url] if settings.database_url else []
        )
        argv += ["serve", "--port", str(port)]
        log = settings.db_path.parent / f"worker-{w}.log"
        lives.append(LiveProcess(argv, log, {"MARKETPLACE_DELIVERY_POLL": "0.1"}))
        bases.append(f"http://127.0.0.1:{port}")
    try:
        for live, base in zip(lives, bases, strict=True):
            live.wait_http(f"{base}/health")
        async with database_for(settings, connections=1) as db:
            start = time.perf_counter()
            posting = await post_all(bases, token, n, size)
            while await delivered(db) < n:  # noqa: ASYNC110 - other processes
                await asyncio.sleep(0.05)
            return n / posting, n / (time.perf_counter() - start)
    finally:
        for live in lives:
            live.stop()


async def run(n: int, size: int, worker_counts: list[int]) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="scale-out-") as tmp,
        postgres_server() as pg,
    ):
        receiver = Receiver(
            "webhook", Path(tmp) / "webhook", ["--secret", WEBHOOK_SECRET]
        )
        receiver.start()
        try:
            results = []
            for label, workers in [("SQLite", 1)] + [
                ("PostgreSQL", w) for w in worker_counts
            ]:
                folder = Path(tmp) / f"{label}-{workers}"
                url = pg.fresh() if label == "PostgreSQL" else ""
                settings = Settings(db_path=folder / "app.sqlite3", database_url=url)
                token = await prepare(settings, receiver)
                intake, end_to_end = await measure(settings, workers, token, n, size)
                results.append((f"{label}, {workers} worker(s)", intake, end_to_end))
        finally:
            receiver.stop()
    base = results[0][2]
    print(f"{n} submissions x {size // 1000} kB, webhook receiver, {len(results)} runs")
    print(f"{'configuration':28} {'intake/s':>9} {'delivered/s':>12} {'vs SQLite':>10}")
    for name, intake, end_to_end in results:
        print(f"{name:28} {intake:9.1f} {end_to_end:12.1f} {end_to_end / base:10.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--size", type=int, default=100_000)
    args = parser.parse_args()
    if args.quick:
        asyncio.run(run(200, args.size, [1, 2]))
    else:
        asyncio.run(run(1000, args.size, [1, 2, 4]))


if __name__ == "__main__":
    main()
