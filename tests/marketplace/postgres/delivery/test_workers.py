"""Three marketplace processes share one PostgreSQL database and one document
folder; each runs the delivery engine.

Submissions arrive at all three workers in turn, concurrently. The engines
compete for the same outbox rows (``FOR UPDATE SKIP LOCKED``); the receivers,
real processes, store every submission they get and count copies per
idempotency key. Counting there proves exactly-once: while the receivers are up
no submission reaches them twice, and after they were stopped and started again
every submission is there exactly once (redeliveries of what was in flight at
the stop only as copies of the same key).
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from marketplace.settings import Settings
from tests.connectors.conftest import Receiver
from tests.marketplace.contracts.flow import Client
from tests.marketplace.delivery.flow import (
    Subscribed,
    add_route,
    outbox,
    payload,
    received,
    settings_for,
)
from tests.support.processes import VENV_BIN, LiveProcess, free_port

WORKERS = 3
FIRST, SECOND = 100, 100  # before and around the receivers' restart
pytestmark = pytest.mark.slow


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The in-test app only sets up the subscription; the workers deliver."""
    return Settings(
        db_path=tmp_path / "app.sqlite3",
        csrf_secret="test-csrf-secret",
        read_connections=2,
        deliver=False,
    )


@pytest.fixture
def workers(client: Client, settings: Settings, tmp_path: Path) -> Iterator[list[str]]:
    """``marketplace --database-url ... serve`` three times, sharing the folder of
    the in-test app's documents; their base URLs."""
    url = client.app.state.db.url
    env = {
        "MARKETPLACE_DELIVERY_LEASE": "5",
        "MARKETPLACE_DELIVERY_POLL": "0.1",
        "MARKETPLACE_DELIVERY_BACKOFF_BASE": "0.05",
        "MARKETPLACE_DELIVERY_BACKOFF_CAP": "0.5",
        "MARKETPLACE_DELIVERY_RETRY_AFTER_CAP": "0",
        "MARKETPLACE_DELIVERY_BREAKER_COOLDOWN": "1",
        "MARKETPLACE_DELIVERY_MAX_ATTEMPTS": "1000",
    }
    started: list[LiveProcess] = []
    bases: list[str] = []
    try:
        for n in range(WORKERS):
            port = free_port()
            argv = [str(VENV_BIN / "marketplace"), "--db", str(settings.db_path)]
            argv += ["--database-url", url, "serve", "--port", str(port)]
            live = LiveProcess(argv, tmp_path / f"worker-{n}.log", env)
            started.append(live)
            bases.append(f"http://127.0.0.1:{port}")
        for live, base in zip(started, bases, strict=True):
            live.wait_http(f"{base}/health")
        yield bases
    finally:
        for live in started:
            live.stop()


async def _submit_round_robin(sub: Subscribed, bases: list[str], count: int) -> None:
    """``count`` submissions, spread over the workers, eight at a time."""
    targets = itertools.cycle(bases)
    gate = asyncio.Semaphore(8)
    async with httpx.AsyncClient(timeout=30) as http:

        async def one(base: str) -> None:
            async with gate:
                answer = await http.post(
                    f"{base}{sub.base}/submissions", json=payload(), headers=sub.owner
                )
            assert answer.status_code == 201, answer.text

        await asyncio.gather(*(one(next(targets)) for _ in range(count)))


async def _all_delivered(client: Client, sub: Subscribed, rows: int) -> list[dict]:
    deadline = time.monotonic() + 90
    while True:
        items = await outbox(client, sub)
        states = {i["state"] for i in items}
        if len(items) == rows and states == {"delivered"}:
            return items
        assert time.monotonic() < deadline, f"not delivered: {len(items)} {states}"
        await asyncio.sleep(0.2)


async def test_three_workers_deliver_each_submission_exactly_once(
    client: Client,
    leipzig: Subscribed,
    webhook_receiver: Receiver,
    eakte_receiver: Receiver,
    workers: list[str],
) -> None:
    """GIVEN three marketplace processes on one PostgreSQL database, a webhook and
    an E-Akte route
    WHEN 100 submissions arrive spread over the three, then the receivers are
    stopped, 100 more arrive, and the receivers start again
    THEN all 400 outbox rows end delivered; each receiver holds each of its 200
    keys exactly once; the first 100 reached it with one copy each (no double
    delivery by competing workers); the transfer log has exactly one delivered
    entry per row."""
    receivers = {"Webhook": webhook_receiver, "E-Akte": eakte_receiver}
    for name, receiver in receivers.items():
        kind = "webhook" if name == "Webhook" else "xdomea"
        await add_route(client, leipzig, name, kind, settings_for(kind, receiver, None))

    await _submit_round_robin(leipzig, workers, FIRST)
    first = await _all_delivered(client, leipzig, 2 * FIRST)
    first_keys = {
        name: {r["idempotency_key"] for r in first if r["route_name"] == name}
        for name in receivers
    }
    for name, receiver in receivers.items():
        got = received(receiver, first_keys[name])
        assert len(got) == FIRST
        assert sum(entry["copies"] for entry in got.values()) == FIRST

    for receiver in receivers.values():
        receiver.stop()
    await _submit_round_robin(leipzig, workers, SECOND)
    await asyncio.sleep(1.0)  # attempts fail and are retried while they are down
    for receiver in receivers.values():
        receiver.start()
    items = await _all_delivered(client, leipzig, 2 * (FIRST + SECOND))

    for name, receiver in receivers.items():
        keys = {r["idempotency_key"] for r in items if r["route_name"] == name}
        assert len(keys) == FIRST + SECOND
        assert set(received(receiver, keys)) == keys
    async with (
        client.app.state.db.read() as conn,
        conn.execute(
            "SELECT outbox_id, COUNT(*) FROM delivery_transfer_log"
            " WHERE outcome = 'delivered' GROUP BY outbox_id"
        ) as cur,
    ):
        delivered = {row[0]: row[1] for row in await cur.fetchall()}
    assert len(delivered) == 2 * (FIRST + SECOND)
    assert set(delivered.values()) == {1}
