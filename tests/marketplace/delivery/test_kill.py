"""The marketplace killed with SIGKILL in the middle of a delivery batch.

The marketplace runs as a real process over the same SQLite file the test filled
through the API; the receivers store each submission and answer late, so at the
kill some submissions are at the receiver but not yet recorded as delivered.
After a restart, counting at the receivers proves every submission arrived
exactly once (one inbox row per idempotency key, redeliveries only as copies).
"""

from __future__ import annotations

import signal
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from marketplace.settings import Settings
from tests.connectors.conftest import Receiver
from tests.marketplace.contracts.flow import Client
from tests.support.processes import VENV_BIN, LiveProcess, free_port

from .flow import Subscribed, add_route, outbox, received, settings_for, submit

SUBMISSIONS = 24
pytestmark = pytest.mark.slow


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """The in-test app only fills the database; the engine runs in the process."""
    return Settings(
        db_path=tmp_path / "kill.sqlite3",
        csrf_secret="test-csrf-secret",
        read_connections=2,
        deliver=False,
    )


def serve(db: Path, log: Path) -> LiveProcess:
    port = free_port()
    argv = [str(VENV_BIN / "marketplace"), "--db", str(db), "serve"]
    argv += ["--host", "127.0.0.1", "--port", str(port)]
    env = {
        "MARKETPLACE_DELIVERY_LEASE": "3",
        "MARKETPLACE_DELIVERY_POLL": "0.05",
        "MARKETPLACE_DELIVERY_BACKOFF_BASE": "0.05",
        "MARKETPLACE_DELIVERY_BACKOFF_CAP": "0.2",
        "MARKETPLACE_DELIVERY_RETRY_AFTER_CAP": "0",
    }
    live = LiveProcess(argv, log, env)
    live.wait_http(f"http://127.0.0.1:{port}/health")
    return live


def states(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT state, COUNT(*) FROM delivery_outbox GROUP BY state"
        ).fetchall()
    return dict(rows)


def wait(condition: Callable[[], object], within: float, what: str) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


async def test_sigkill_mid_batch_then_restart_delivers_each_exactly_once(
    client: Client,
    leipzig: Subscribed,
    settings: Settings,
    webhook_receiver: Receiver,
    eakte_receiver: Receiver,
    tmp_path: Path,
) -> None:
    """GIVEN 24 submissions queued to a webhook and an E-Akte route, receivers that
    store first and answer 0.4 s late
    WHEN the marketplace process is killed with SIGKILL mid-batch and restarted
    THEN rows were in flight at the kill, some already at a receiver; after the
    restart all 48 rows are delivered and each receiver holds each key once."""
    receivers = {"Webhook": webhook_receiver, "E-Akte": eakte_receiver}
    await add_route(
        client,
        leipzig,
        "Webhook",
        "webhook",
        settings_for("webhook", webhook_receiver, None),
    )
    await add_route(
        client,
        leipzig,
        "E-Akte",
        "xdomea",
        settings_for("xdomea", eakte_receiver, None),
    )
    for _ in range(SUBMISSIONS):
        await submit(client, leipzig)
    rows = await outbox(client, leipzig)
    keys = {
        name: {r["idempotency_key"] for r in rows if r["route_name"] == name}
        for name in receivers
    }
    assert sum(len(k) for k in keys.values()) == 2 * SUBMISSIONS
    for receiver in receivers.values():
        receiver.faults(delay=0.4)

    def arrived() -> int:
        return sum(len(received(r, keys[n])) for n, r in receivers.items())

    first = serve(settings.db_path, tmp_path / "first.log")
    try:
        wait(lambda: arrived() >= SUBMISSIONS // 2, 60, "no deliveries before the kill")
    finally:
        first.stop(signal.SIGKILL)
    at_kill = states(settings.db_path)
    there = arrived()
    assert at_kill.get("in_flight", 0) > 0, at_kill
    assert there > at_kill.get("delivered", 0), (there, at_kill)  # the hard case
    for receiver in receivers.values():
        receiver.faults()

    second = serve(settings.db_path, tmp_path / "second.log")
    try:
        wait(
            lambda: states(settings.db_path) == {"delivered": 2 * SUBMISSIONS},
            60,
            f"not all delivered: {states(settings.db_path)}",
        )
    finally:
        second.stop()
    copies = 0
    for name, receiver in receivers.items():
        got = received(receiver, keys[name])
        assert set(got) == keys[name]
        copies += sum(e["copies"] for e in got.values())
    assert copies > 2 * SUBMISSIONS  # redelivered after the kill, deduplicated
