"""Marketplace nodes as real processes on loopback, each with its own SQLite file
(or PostgreSQL database), node key and sample catalog, configured as each
other's peers.

A node given a ``database_url`` runs in the scale-out mode: ``serve --workers 2``
on its PostgreSQL database, so each of its requests and puller rounds may land
on either worker (tests/marketplace/postgres/federation/)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from marketplace.db import Database
from marketplace.db.postgres import PostgresDatabase
from marketplace.federation import sample, service
from marketplace.federation.cli import CLI_OPERATOR
from marketplace.federation.keys import NodeKey, key_path
from marketplace.federation.schemas import PeerIn
from tests.support.processes import VENV_BIN, LiveProcess, free_port

MARKETPLACE = str(VENV_BIN / "marketplace")


def cli(db: Path, *args: str, database_url: str = "") -> str:
    """``marketplace --db DB [--database-url URL] ARGS``; its standard output."""
    url = ["--database-url", database_url] if database_url else []
    done = subprocess.run(
        [MARKETPLACE, "--db", str(db), *url, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"marketplace {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout


class Node:
    """One marketplace node: ``start``/``stop`` keep its database, port and key."""

    def __init__(
        self,
        name: str,
        folder: Path,
        *,
        interval: float,
        stale: float,
        database_url: str = "",
    ):
        self.name = name
        self.db = folder / f"{name}.sqlite3"
        self.database_url = database_url
        self.workers = 2 if database_url else 1
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            "MARKETPLACE_FEDERATION_INTERVAL": str(interval),
            "MARKETPLACE_FEDERATION_STALE_AFTER": str(stale),
        }
        self.process: LiveProcess | None = None
        self.starts = 0
        self.public_key = NodeKey.load_or_create(key_path(self.db)).public_hex
        self._tokens: dict[str, str] = {}

    async def prepare(self, offers: int, buyer_index: int, peers: list[Node]) -> None:
        """What ``marketplace node init``, ``node sample`` and ``peers add`` do
        (tested through the CLI in test_cli.py), in-process to start faster."""
        key = NodeKey.load_or_create(key_path(self.db))
        async with self.database() as db:
            await service.init_node(db, key, self.name, self.base)
            await sample.seed_sample(db, offers=offers, buyer_index=buyer_index)
            for other in peers:
                data = PeerIn(
                    name=other.name, base_url=other.base, public_key=other.public_key
                )
                await service.add_peer(db, CLI_OPERATOR, data)

    def database(self) -> Database:
        """The node's database, for preparing it or for a test's own statement."""
        if self.database_url:
            return PostgresDatabase(self.database_url, path=self.db, connections=1)
        return Database(self.db, readers=1)

    def execute(self, sql: str, params: tuple[object, ...]) -> None:
        """One statement in a transaction, straight on the node's database."""

        async def run() -> None:
            async with self.database() as db, db.transaction() as conn:
                await conn.execute(sql, params)

        asyncio.run(run())

    def start(self) -> None:
        self.launch()
        self.wait_ready()

    def launch(self) -> None:
        """Start the process without waiting for it (``wait_ready``)."""
        self.starts += 1
        log = self.db.with_name(f"{self.name}-{self.starts}.log")
        argv = [MARKETPLACE, "--db", str(self.db)]
        if self.database_url:
            argv += ["--database-url", self.database_url]
        argv += ["serve", "--host", "127.0.0.1", "--port", str(self.port)]
        argv += ["--workers", str(self.workers)]
        self.process = LiveProcess(argv, log, self.env)

    def wait_ready(self) -> None:
        assert self.process is not None
        try:
            self.process.wait_http(f"{self.base}/health")
        except BaseException:
            self.stop()
            raise

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        if self.process is not None:
            self.process.stop(sig)
            self.process = None

    def token(self, who: str) -> dict[str, str]:
        """Bearer header for ``<node>-betrieb``, ``-admin`` or ``-einkauf``."""
        login = f"{self.name}-{who}"
        if login not in self._tokens:
            answer = httpx.post(
                f"{self.base}/api/v1/auth/tokens",
                json={"login": login, "password": f"foederation-{self.name}"},
            )
            answer.raise_for_status()
            self._tokens[login] = answer.json()["token"]
        return {"Authorization": f"Bearer {self._tokens[login]}"}

    def get(self, path: str, who: str | None = None, **params: Any) -> Any:
        headers = self.token(who) if who else {}
        answer = httpx.get(
            f"{self.base}{path}", headers=headers, params=params, timeout=30
        )
        answer.raise_for_status()
        return answer.json()

    def call(self, method: str, path: str, who: str, **kwargs: Any) -> httpx.Response:
        return httpx.request(
            method, f"{self.base}{path}", headers=self.token(who), timeout=30, **kwargs
        )

    def digest(self) -> dict[str, Any]:
        found: dict[str, Any] = self.get("/api/v1/federation/catalog-digest")
        return found

    def peer(self, name: str) -> dict[str, Any]:
        peers = self.get("/api/v1/federation/peers", "betrieb")
        return next(p for p in peers if p["name"] == name)

    def sync(self, peer: str | None = None, full: bool = False) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"full": str(full).lower()}
        if peer:
            params["peer"] = peer
        answer = self.call("POST", "/api/v1/federation/sync", "betrieb", params=params)
        answer.raise_for_status()
        found: list[dict[str, Any]] = answer.json()
        return found

    def switch(self, peer: str, enabled: bool) -> None:
        answer = self.call(
            "PATCH",
            f"/api/v1/federation/peers/{peer}",
            "betrieb",
            json={"enabled": enabled},
        )
        answer.raise_for_status()

    def incidents(self, peer: str | None = None) -> list[dict[str, Any]]:
        params = {"peer": peer} if peer else {}
        found: list[dict[str, Any]] = self.get(
            "/api/v1/federation/incidents", "betrieb", **params
        )
        return found


def wait_until(
    check: Callable[[], bool], timeout: float = 30.0, what: str = ""
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError(f"not reached within {timeout} s: {what}")


def converged(nodes: list[Node]) -> bool:
    return len({node.digest()["sha256"] for node in nodes}) == 1


def start_cluster(
    folder: Path,
    offers: dict[str, int],
    *,
    interval: float = 0.5,
    stale: float = 4.0,
    database_urls: dict[str, str] | None = None,
) -> list[Node]:
    """Nodes named by ``offers`` (name -> number of own offers), all peers of all;
    those named in ``database_urls`` on PostgreSQL with two workers."""
    urls = database_urls or {}
    nodes = [
        Node(
            name,
            folder,
            interval=interval,
            stale=stale,
            database_url=urls.get(name, ""),
        )
        for name in offers
    ]
    for index, node in enumerate(nodes):
        others = [other for other in nodes if other is not node]
        asyncio.run(node.prepare(offers[node.name], index, others))
    try:
        for node in nodes:  # all at once: each process takes seconds to import
            node.launch()
        for node in nodes:
            node.wait_ready()
    except BaseException:
        for node in nodes:
            node.stop()
        raise
    return nodes
