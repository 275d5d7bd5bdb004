"""The purge inside ``marketplace serve``: every ``purge_interval`` seconds, by
one worker at a time (``Database.exclusive``; the others skip their round while
one is at it, as the federation puller does)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from marketplace.db import Database
from marketplace.documents.schemas import Policy, PurgeReport
from marketplace.documents.service import purge
from marketplace.objectstore import ObjectStore
from marketplace.settings import Settings

log = logging.getLogger(__name__)

PURGING = (0x646F_6300, 1)  # Database.exclusive key of a purge run


def policy_for(settings: Settings) -> Policy:
    return Policy(
        retention=settings.retention_days * 86400,
        grace=settings.orphan_grace_hours * 3600,
    )


async def purge_once(
    db: Database,
    store: ObjectStore,
    settings: Settings,
    *,
    now: float,
    dry_run: bool = False,
    wait: bool = True,
) -> PurgeReport | None:
    """One run under the purge lock; None when another process holds it and
    ``wait`` is False."""
    async with db.exclusive(PURGING, wait=wait) as mine:
        if not mine:
            return None
        return await purge(db, store, policy_for(settings), now=now, dry_run=dry_run)


class Janitor:
    """Created by ``create_app``; started and stopped with the app."""

    def __init__(
        self,
        settings: Settings,
        store: ObjectStore,
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.store = store
        self.clock = clock
        self._task: asyncio.Task[None] | None = None

    async def start(self, db: Database) -> None:
        if self.settings.purge_interval > 0:
            self._task = asyncio.create_task(self._run(db), name="document-purge")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def run_once(self, db: Database) -> PurgeReport | None:
        return await purge_once(
            db, self.store, self.settings, now=self.clock(), wait=False
        )

    async def _run(self, db: Database) -> None:
        while True:
            await asyncio.sleep(self.settings.purge_interval)
            try:
                await self.run_once(db)
            except Exception:  # a retry loop: log and try again next round
                log.exception("document purge failed")
