"""The federation inside a running marketplace: the node key, one HTTP client
and the background puller (every ``federation_interval`` seconds, from every
enabled peer; idle while there are none)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

import httpx

from marketplace.db import Database
from marketplace.federation import outgoing, pull, repository, service, usage
from marketplace.federation.keys import NodeKey, key_path
from marketplace.federation.messages import UsageReport
from marketplace.federation.schemas import Peer
from marketplace.settings import Settings

log = logging.getLogger(__name__)


class Federation:
    """Created by ``create_app``; started and stopped with the app."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._key: NodeKey | None = None
        self._client: httpx.AsyncClient | None = None
        self._task: asyncio.Task[None] | None = None
        self.usage_reports: dict[str, UsageReport] = {}  # latest per peer

    @property
    def key(self) -> NodeKey:
        if self._key is None:
            self._key = NodeKey.load_or_create(key_path(self.settings.db_path))
        return self._key

    @property
    def client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=10.0)
        return self._client

    async def start(self, db: Database) -> None:
        """Check the key file against the node's (``service.check_node_key``),
        then pull in the background."""
        path = key_path(self.settings.db_path)
        await service.check_node_key(db, self.key, path)
        self._task = asyncio.create_task(self._run(db), name="federation-puller")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def _run(self, db: Database) -> None:
        while True:
            await asyncio.sleep(self.settings.federation_interval)
            try:
                await self.pull_all(db)
            except Exception:  # a retry loop: log and go on with the next round
                log.exception("federation: pulling failed")

    async def pull_all(self, db: Database) -> None:
        """One round: the peers' feeds and the open cross-node contracts, by one
        worker at a time (this worker skips them while another one is at it),
        then the peers' usage reports, which every worker keeps in memory."""
        async with db.exclusive(pull.PULLING, wait=False) as mine:
            peers = await _enabled_peers(db)  # the cursors, read under the lock
            if peers is None:
                return
            if mine:
                for peer in peers:
                    await pull.sync_peer(db, self.client, peer)
                await outgoing.reconcile(db, self.client, self.key)
        for peer in peers:
            report = await usage.fetch_report(self.client, peer)
            if report is not None:
                self.usage_reports[peer.name] = report


async def _enabled_peers(db: Database) -> list[Peer] | None:
    """None while this marketplace is no federation node."""
    async with db.read() as conn:
        if await repository.node(conn) is None:
            return None
        return [p for p in await repository.peers(conn) if p.enabled]
