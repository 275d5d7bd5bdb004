"""Batch leasing of the engine: rows are claimed a batch ahead, delivered once, and
a leased row whose endpoint's breaker opened meanwhile goes back untried.

Real SQLite file and a real drop folder; no web app (``queue`` seeds the tables)."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from marketplace.db import Database
from marketplace.delivery import outbox_repository, rules
from marketplace.delivery.engine import DeliveryEngine
from marketplace.settings import Settings

from . import queue


async def _states(db: Database) -> list[tuple[str, int]]:
    async with db.read() as conn:
        cursor = await conn.execute(
            "SELECT state, attempts FROM delivery_outbox ORDER BY id"
        )
        rows = await cursor.fetchall()
        await cursor.close()
    return [(str(row[0]), int(row[1])) for row in rows]


@pytest.fixture
async def seeded(tmp_path: Path) -> tuple[Path, dict[str, object]]:
    await queue.prepare(tmp_path / "app.sqlite3")
    (tmp_path / "drop").mkdir()
    return tmp_path, {"path": str(tmp_path / "drop"), "min_free_bytes": 0}


async def test_a_batch_ahead_is_claimed_and_each_row_delivered_once(
    seeded: tuple[Path, dict[str, object]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN 12 queued submissions to a drop folder and an engine with 2 slots
    WHEN it runs until all are delivered
    THEN each row was delivered in one attempt, 12 folders exist, and the claims
    leased more than one row at a time (2 slots + a batch of 2 ahead at most)."""
    folder, settings = seeded
    leased: list[int] = []
    claim = outbox_repository.claim

    async def counted(*args: object, **kwargs: object) -> list[outbox_repository.Claim]:
        found = await claim(*args, **kwargs)  # type: ignore[arg-type]
        leased.append(len(found))
        return found

    monkeypatch.setattr(outbox_repository, "claim", counted)
    config = Settings(
        db_path=folder / "app.sqlite3", delivery_poll=0.05, delivery_concurrency=2
    )
    async with Database(config.db_path, readers=2) as db:
        await queue.enqueue(db, "dropfolder", dict(settings), 12, 4096)
        engine = DeliveryEngine(config)
        await engine.start(db)
        deadline = time.monotonic() + 20
        while [s for s, _ in await _states(db)].count("delivered") < 12:
            assert time.monotonic() < deadline, await _states(db)
            await asyncio.sleep(0.05)
        await engine.stop()
        assert await _states(db) == [("delivered", 1)] * 12
    assert len(list((folder / "drop").iterdir())) == 13  # 12 + ".incoming"
    assert sum(leased) == 12
    assert max(leased) == 4
    assert len([n for n in leased if n]) < 12


async def test_a_leased_row_of_a_newly_blocked_endpoint_goes_back_untried(
    seeded: tuple[Path, dict[str, object]],
) -> None:
    """GIVEN three rows leased into the engine's batch
    WHEN the endpoint's breaker opens before the first of them starts, and then
    the engine stops with the rest still waiting
    THEN every row is pending again with no attempt counted, and nothing reached
    the drop folder."""
    folder, settings = seeded
    config = Settings(db_path=folder / "app.sqlite3", delivery_concurrency=1)
    async with Database(config.db_path, readers=2) as db:
        await queue.enqueue(db, "dropfolder", dict(settings), 3, 4096)
        engine = DeliveryEngine(config)
        engine._db = db
        await engine._refill(3)
        assert [a for _, a in await _states(db)] == [1, 1, 1]
        claimed_at, first = engine._ready.popleft()
        endpoint = rules.endpoint("dropfolder", settings)
        for _ in range(config.delivery_breaker_threshold):
            engine.breakers.failure(endpoint)
        assert engine.breakers.blocked() == [endpoint]
        await engine._deliver(first, claimed_at)
        await engine.stop()
        assert await _states(db) == [("pending", 0)] * 3
    assert [p.name for p in (folder / "drop").iterdir()] == []
