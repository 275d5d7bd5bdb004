"""The demo: a subscription with a route of every kind pointing at the reference
receivers, and a few online submissions queued; seeding twice adds nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace.db import Database
from marketplace.demo import seed_demo
from marketplace.demo.delivery import SUBSCRIPTION, seed_delivery
from marketplace.demo.receivers import DEMO, commands
from marketplace.identity import secrets


async def test_demo_has_routes_of_every_kind_and_queued_submissions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN the demo catalog and accounts
    WHEN the delivery demo is seeded twice
    THEN Dresden's subscription has production routes of all four kinds and a test
    route, two production and one test submission are queued to the matching
    routes only (9 rows), and the second run changes nothing."""
    monkeypatch.setattr(secrets, "_N", 2**8)
    async with Database(tmp_path / "demo.sqlite3", readers=1) as db:
        await seed_demo(db)
        first = await seed_delivery(db)
        second = await seed_delivery(db)
        async with db.read() as conn:
            cursor = await conn.execute(
                "SELECT kind, environment FROM delivery_routes WHERE subscription_id = ?",
                (SUBSCRIPTION,),
            )
            routes = sorted(tuple(r) for r in await cursor.fetchall())
            cursor = await conn.execute(
                "SELECT o.test, r.environment FROM delivery_outbox o"
                " JOIN delivery_routes r ON r.id = o.route_id"
            )
            rows = [tuple(r) for r in await cursor.fetchall()]
    assert "5 Routen" in first
    assert "besteht bereits" in second
    assert routes == [
        ("dropfolder", "production"),
        ("fitconnect", "production"),
        ("webhook", "production"),
        ("webhook", "test"),
        ("xdomea", "production"),
    ]
    assert sorted(rows) == [(0, "production")] * 8 + [(1, "test")]
    assert (tmp_path / "ablage" / "dresden-dms").is_dir()


def test_demo_receivers_listen_on_the_ports_the_routes_use() -> None:
    """GIVEN the demo receiver launcher
    WHEN its commands are built
    THEN each reference receiver gets its fixed port and the routes' secrets."""
    argv = [" ".join(c) for c in commands(Path("var/demo-receivers"))]
    assert f"--port {DEMO['fitconnect_port']}" in argv[0]
    assert f"--client-id {DEMO['fitconnect_client']}" in argv[0]
    assert f"--port {DEMO['eakte_port']}" in argv[1]
    assert f"--secret {DEMO['webhook_secret']}" in argv[2]
