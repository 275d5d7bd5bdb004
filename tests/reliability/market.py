"""The marketplace side of the reliability suite: a demo database with Dresden's
subscription routed to reference receivers on free ports, and ``marketplace
serve`` as a real process that can be killed, restarted and given a clock jump.

Its wall clock can jump (``clock.JumpingClock``, libfaketime).
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sqlite3
from pathlib import Path
from typing import Any

from marketplace.db import Database
from marketplace.delivery import service as delivery
from marketplace.delivery.schemas import Kind, RouteIn
from marketplace.demo import seed_demo
from marketplace.demo.delivery import _active_contract, _principal
from marketplace.identity import service as identity
from marketplace.subscriptions import service as subscriptions
from marketplace.subscriptions.schemas import Environment, SubscriptionIn
from tests.connectors.conftest import Receiver, eakte_settings, webhook_settings
from tests.support.processes import VENV_BIN, LiveProcess, free_port

from .clock import JumpingClock

DRESDEN = "14612000"
SUBSCRIPTION = "dresden-zuverlaessigkeit"
ROUTES = {"webhook": "Gewerbeamt (Webhook)", "eakte": "E-Akte (xdomea)"}

# Fast retries so faults play out in seconds; attempts are effectively unlimited
# so that only a refusal, never a long outage, makes a dead letter.
FAST_DELIVERY = {
    "MARKETPLACE_CSRF_SECRET": "reliability",
    "MARKETPLACE_DELIVERY_LEASE": "5",
    "MARKETPLACE_DELIVERY_POLL": "0.05",
    "MARKETPLACE_DELIVERY_BACKOFF_BASE": "0.05",
    "MARKETPLACE_DELIVERY_BACKOFF_CAP": "0.5",
    "MARKETPLACE_DELIVERY_RETRY_AFTER_CAP": "0",
    "MARKETPLACE_DELIVERY_MAX_ATTEMPTS": "100000",
    "MARKETPLACE_DELIVERY_BREAKER_COOLDOWN": "0.5",
}


async def prepare(db_path: Path, receivers: dict[str, Receiver]) -> str:
    """Seed the demo catalog, subscribe Dresden to the demo service with one route
    per receiver; return a bearer token of the demo operator account."""
    async with Database(db_path, readers=1) as db:
        await seed_demo(db)
        dresden = await _principal(db, "dresden-einkauf")
        lecos = await _principal(db, "lecos-admin")
        operator = await _principal(db, "betrieb")
        assert dresden
        assert lecos
        assert operator
        contract_id = await _active_contract(db, dresden, lecos)
        await subscriptions.put_subscription(
            db,
            dresden,
            SUBSCRIPTION,
            SubscriptionIn(
                contract_id=contract_id,
                environment=Environment.PRODUCTION,
                endpoint_url=f"{receivers['webhook'].base}/eingang",
                fachverfahren="OK.VERKEHR (Zuverlässigkeit)",
            ),
        )
        root = db_path.parent / "ablage"
        for kind, receiver in receivers.items():
            await delivery.add_route(
                db, dresden, SUBSCRIPTION, _route(kind, receiver), root
            )
        return (await identity.issue_token(db, operator, "Zuverlässigkeit")).token


def _route(kind: str, receiver: Receiver) -> RouteIn:
    settings: dict[str, Any] = (
        webhook_settings(receiver, timeout=3.0)
        if kind == "webhook"
        else eakte_settings(receiver, timeout=3.0)
    )
    connector: Kind = "webhook" if kind == "webhook" else "xdomea"
    return RouteIn(
        name=ROUTES[kind], environment="production", kind=connector, settings=settings
    )


class LiveMarket:
    """``marketplace serve`` on a fixed port over one SQLite file."""

    def __init__(self, folder: Path, receivers: dict[str, Receiver]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.db_path = folder / "marketplace.sqlite3"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.operator_token = asyncio.run(prepare(self.db_path, receivers))
        self.clock = JumpingClock(folder / "faketime")
        self.process: LiveProcess | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        argv = [str(VENV_BIN / "marketplace"), "--db", str(self.db_path), "serve"]
        argv += ["--host", "127.0.0.1", "--port", str(self.port)]
        log = self.folder / f"marketplace-{self.starts}.log"
        self.process = LiveProcess(argv, log, {**FAST_DELIVERY, **self.clock.env()})
        self.process.wait_http(f"{self.url}/health")

    def kill(self) -> None:
        if self.process is not None:
            self.process.stop(signal.SIGKILL)
            self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    def query(self, sql: str, *args: object) -> list[tuple[Any, ...]]:
        with contextlib.closing(sqlite3.connect(self.db_path, timeout=30)) as conn:
            return conn.execute(sql, args).fetchall()

    def outbox_states(self) -> dict[str, int]:
        rows = self.query("SELECT state, COUNT(*) FROM delivery_outbox GROUP BY state")
        return {str(state): int(count) for state, count in rows}


def receivers(folder: Path) -> dict[str, Receiver]:
    from tests.connectors.conftest import WEBHOOK_SECRET

    return {
        "webhook": Receiver(
            "webhook", folder / "webhook", ["--secret", WEBHOOK_SECRET]
        ),
        "eakte": Receiver("eakte", folder / "eakte", []),
    }
