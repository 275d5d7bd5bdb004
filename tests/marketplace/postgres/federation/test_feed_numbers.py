"""The federation feed's numbers on PostgreSQL with several writers.

A peer reads "every entry after my cursor", so the numbers must have no gaps
and follow commit order: a publication rolled back uses no number, and
publications committed at the same time by different workers (here: two
database pools, as two worker processes have) get consecutive numbers. A
sequence would fail both (a rolled back transaction consumes its number; two
transactions may commit in the other order than they drew)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from marketplace.db import Connection, Database
from marketplace.db.postgres import PostgresDatabase
from tests.marketplace.conftest import SeedOffer

NOW = "2026-02-01T00:00:00+00:00"


class Rollback(Exception):
    """Raised inside a transaction to undo it."""


async def _publish(conn: Connection, offer_id: int, number: int) -> None:
    """A draft version, then its publication (the feed trigger's path)."""
    cursor = await conn.execute(
        "INSERT INTO offer_versions (offer_id, version, status, title, description,"
        " legal_route, cost_model, contract_template, notice_period_months,"
        " created_at) SELECT offer_id, ?, 'draft', title, description, legal_route,"
        " cost_model, contract_template, notice_period_months, ? FROM offer_versions"
        " WHERE offer_id = ? AND version = 1",
        (number, NOW, offer_id),
    )
    await conn.execute(
        "UPDATE offer_versions SET status = 'published', published_at = ? WHERE id = ?",
        (NOW, cursor.lastrowid),
    )


async def _feed(db: Database) -> list[tuple[int, int]]:
    """(seq, version number) of every feed row, by seq."""
    async with db.read() as conn:
        rows = await conn.execute_fetchall(
            "SELECT f.seq, v.version FROM federation_feed f"
            " JOIN offer_versions v ON v.id = f.version_id ORDER BY f.seq"
        )
    return [(int(row[0]), int(row[1])) for row in rows]


async def test_feed_numbers_have_no_gaps_with_several_writers(
    app_db: Database, seed_offer: SeedOffer, tmp_path: Path
) -> None:
    """GIVEN an own published offer on PostgreSQL and a second pool on the same
    database (another worker)
    WHEN version 2 is published, version 3's publication is rolled back, and then
    twenty versions are published at once, half by each pool, some of them in
    transactions that do not take the writers' lock
    THEN the feed numbers are 1 to 21 without a gap, every committed publication
    has exactly one entry, and the rolled back one none."""
    assert isinstance(app_db, PostgresDatabase)
    version_id = await seed_offer()
    async with app_db.read() as conn:
        row = await (
            await conn.execute(
                "SELECT offer_id FROM offer_versions WHERE id = ?", (version_id,)
            )
        ).fetchone()
    offer_id = int(row[0])
    async with app_db.transaction() as conn:
        await _publish(conn, offer_id, 2)
    try:
        async with app_db.transaction() as conn:
            await _publish(conn, offer_id, 3)
            raise Rollback
    except Rollback:
        pass
    other = PostgresDatabase(app_db.url, path=tmp_path / "other", connections=4)
    async with other:

        async def publish(db: Database, number: int) -> None:
            async with db.transaction(serialised=number % 3 != 0) as conn:
                await _publish(conn, offer_id, number)

        await asyncio.gather(
            *(publish(app_db if n % 2 else other, n) for n in range(4, 24))
        )
    feed = await _feed(app_db)
    assert [seq for seq, _ in feed] == list(range(1, 22))
    assert sorted(number for _, number in feed) == [2, *range(4, 24)]
