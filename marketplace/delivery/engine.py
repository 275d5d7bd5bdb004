"""The delivery engine: a background task in the marketplace process.

Loop: claim due outbox rows in batches (a lease per row,
``outbox_repository.claim``): the free delivery slots plus one batch of
``concurrency`` ahead, so a finished delivery is followed at once without a claim
in between. A row that waited too long in that batch, or whose endpoint's
breaker opened meanwhile, goes back untried. Each delivery runs in its own task
through the route's connector, record the outcome and the transfer log entry in one
transaction. ``Delivered`` only after the connector said so (the receiver
confirmed); ``Deferred`` is retried with full-jitter backoff until
``max_attempts`` or ``max_age``, then dead-lettered; ``Rejected`` goes to the
dead letters at once. A process killed mid-delivery leaves rows in flight whose
lease runs out; the next claim takes them again, and the receiver deduplicates
by idempotency key, so each submission arrives exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from connectors.errors import ConnectorError
from connectors.results import Deferred, DeliveryResult, Rejected
from marketplace.db import Database
from marketplace.delivery import outbox_repository, outcomes
from marketplace.delivery.backoff import Backoff
from marketplace.delivery.breaker import Breakers
from marketplace.delivery.outbox_repository import Claim
from marketplace.delivery.pool import ConnectorPool
from marketplace.delivery.schemas import Breaker
from marketplace.objectstore import ObjectStore, object_store_for
from marketplace.settings import Settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    concurrency: int = 4
    lease: float = 300.0
    max_attempts: int = 12
    max_age: float = 172_800.0
    poll: float = 1.0
    grace: float = 10.0
    # No retry or lease reaches further ahead; one that does was set before the
    # wall clock was set back and is due at once (``outbox_repository.claim``).
    horizon: float = 900.0

    @classmethod
    def from_settings(cls, settings: Settings) -> Limits:
        return cls(
            concurrency=max(1, settings.delivery_concurrency),
            lease=settings.delivery_lease,
            max_attempts=settings.delivery_max_attempts,
            max_age=settings.delivery_max_age,
            poll=settings.delivery_poll,
            horizon=max(
                settings.delivery_lease,
                settings.delivery_backoff_cap,
                settings.delivery_retry_after_cap,
            ),
        )


class DeliveryEngine:
    """Created by ``create_app``; started and stopped with the app when enabled."""

    def __init__(
        self,
        settings: Settings,
        documents: ObjectStore | None = None,
        *,
        clock: Callable[[], float] = time.time,
        backoff: Backoff | None = None,
        breakers: Breakers | None = None,
    ) -> None:
        self.settings = settings
        # where the documents are read from (the app passes its own store)
        self.documents = documents or object_store_for(settings)
        self.limits = Limits.from_settings(settings)
        self.clock = clock
        self.backoff = backoff or Backoff(
            base=settings.delivery_backoff_base,
            cap=settings.delivery_backoff_cap,
            retry_after_cap=settings.delivery_retry_after_cap,
        )
        self.breakers = breakers or Breakers(
            threshold=settings.delivery_breaker_threshold,
            cooldown=settings.delivery_breaker_cooldown,
        )
        self.pool = ConnectorPool()
        self.running = False
        self._db: Database | None = None
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._deliveries: set[asyncio.Task[None]] = set()
        # Leased but not started: (monotonic claim time, claim), and the probes
        # among them by id with their endpoint.
        self._ready: deque[tuple[float, Claim]] = deque()
        self._probes: dict[int, str] = {}

    def breaker(self, endpoint: str) -> Breaker:
        return self.breakers.state(endpoint)

    def wake(self) -> None:
        """Something was enqueued: look for due rows now."""
        self._wake.set()

    async def start(self, db: Database) -> None:
        self._db = db
        self.running = True
        self._task = asyncio.create_task(self._run(), name="delivery-engine")
        log.info("delivery engine started (%d slots)", self.limits.concurrency)

    async def stop(self) -> None:
        """Let running deliveries finish within the grace period, give the rest
        back to the queue, close the connectors."""
        self.running = False
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self._deliveries:
            _, late = await asyncio.wait(self._deliveries, timeout=self.limits.grace)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        while self._ready and self._db is not None:
            await self._give_back(self._ready.popleft()[1])
        await self.pool.close()
        log.info("delivery engine stopped")

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            free = self.limits.concurrency - len(self._deliveries)
            if free > len(self._ready):
                await self._refill(free + self.limits.concurrency - len(self._ready))
            while free > 0 and self._ready:
                claimed_at, item = self._ready.popleft()
                task = asyncio.create_task(self._deliver(item, claimed_at))
                self._deliveries.add(task)
                task.add_done_callback(self._done)
                free -= 1
            # Wait for a free slot, an enqueued submission or the next poll.
            await self._idle()

    async def _refill(self, want: int) -> None:
        try:
            claimed = await self._claim(want)
        except Exception:  # a retry loop: log and try again after a pause
            log.exception("delivery engine: claiming failed")
            return
        now = time.monotonic()
        self._ready.extend((now, item) for item in claimed)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._deliveries.discard(task)
        self._wake.set()

    async def _idle(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=self.limits.poll)

    async def _claim(self, free: int) -> list[Claim]:
        assert self._db is not None
        now = self.clock()
        lease = now + self.limits.lease
        horizon = self.limits.horizon
        async with self._db.read() as conn:
            if not await outbox_repository.any_due(conn, now, horizon):
                return []
        async with self._db.transaction(serialised=False) as conn:
            found = await outbox_repository.claim(
                conn,
                now=now,
                lease_until=lease,
                limit=free,
                blocked=self.breakers.blocked(),
                horizon=horizon,
            )
            for endpoint in self.breakers.probe_due():
                if len(found) >= free:
                    break
                probe = await outbox_repository.claim(
                    conn,
                    now=now,
                    lease_until=lease,
                    limit=1,
                    blocked=[],
                    endpoint=endpoint,
                    horizon=horizon,
                )
                if probe:
                    self.breakers.start_probe(endpoint)
                    self._probes[probe[0].id] = endpoint
                    found += probe
        return found

    async def _deliver(self, claimed: Claim, claimed_at: float) -> None:
        assert self._db is not None
        try:
            job = await outcomes.load(self._db, claimed)
        except Exception:  # the lease runs out and the row comes back
            log.exception("delivery engine: loading outbox %d failed", claimed.id)
            return
        probe = self._probes.pop(claimed.id, None)
        waited = time.monotonic() - claimed_at > self.limits.lease * 0.2
        if waited or (probe is None and job.endpoint in self.breakers.blocked()):
            await self._give_back(claimed, probe)
            return
        try:
            result = await self._attempt(job)
        except asyncio.CancelledError:
            await outcomes.give_back(self._db, claimed)
            self.breakers.end_probe(job.endpoint)
            raise
        try:
            await outcomes.record(self._db, job, result, self)
        except Exception:  # the lease runs out and the row comes back
            log.exception("delivery engine: recording outbox %d failed", claimed.id)
        self._breaker_after(job.endpoint, result)

    async def _attempt(self, job: outcomes.Job) -> DeliveryResult:
        if job.refusal is not None:
            return job.refusal
        assert job.route is not None  # a job without route carries a refusal
        try:
            submission = await outcomes.materialise(self.documents, job)
            connector = await self.pool.get(job.route)
            return await asyncio.wait_for(
                connector.deliver(submission), timeout=self.limits.lease * 0.8
            )
        except TimeoutError:
            return Deferred(
                retry_after=0, reason="Zustellung dauerte länger als erlaubt."
            )
        except outcomes.Refused as refused:
            return refused.result
        except ConnectorError as exc:  # the route's settings no longer build
            return Rejected(reason=str(exc))
        except Exception as exc:  # a retry loop: record and retry later
            log.exception("delivery engine: outbox %d failed", job.claim.id)
            return Deferred(
                retry_after=0, reason=f"Interner Fehler ({type(exc).__name__})"
            )

    async def _give_back(self, claimed: Claim, probe: str | None = None) -> None:
        """Untried back to the queue (its attempt does not count)."""
        assert self._db is not None
        probe = probe or self._probes.pop(claimed.id, None)
        if probe is not None:
            self.breakers.end_probe(probe)
        await outcomes.give_back(self._db, claimed)
        self._wake.set()

    def _breaker_after(self, endpoint: str, result: DeliveryResult) -> None:
        if isinstance(result, Deferred):
            self.breakers.failure(endpoint)
        else:
            self.breakers.success(endpoint)
