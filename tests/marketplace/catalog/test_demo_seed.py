"""The demo data set: complete enough to demonstrate, valid, and idempotent."""

from __future__ import annotations

import json
import shutil
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from marketplace.catalog import service as catalog
from marketplace.db import Database
from marketplace.demo import seed_demo
from marketplace.identity import service as identity
from tests.marketplace.catalog.conftest import LOGINS, DemoTemplate

TIMESTAMPS = {"created_at", "published_at", "withdrawn_at", "updated_at"}
TABLES = (
    "laender",
    "providers",
    "municipalities",
    "services",
    "service_life_situations",
    "offers",
    "offer_versions",
    "catalog_current",
    "provider_contract_settings",
)


@pytest.fixture
async def empty_db(tmp_path: Path) -> AsyncIterator[Database]:
    async with Database(tmp_path / "demo.sqlite3", readers=1) as db:
        yield db


@pytest.fixture
async def seeded(
    tmp_path: Path, demo_template: DemoTemplate
) -> AsyncIterator[Database]:
    """A copy of the session's database that ``seed_demo`` filled from empty."""
    shutil.copyfile(demo_template.path, tmp_path / "seeded.sqlite3")
    async with Database(tmp_path / "seeded.sqlite3", readers=1) as db:
        yield db


async def rows(db: Database, sql: str) -> list[dict[str, Any]]:
    async with db.read() as conn, conn.execute(sql) as cur:
        return [dict(row) for row in await cur.fetchall()]


async def fingerprint(db: Database) -> dict[str, list[str]]:
    """Every row of the seeded tables, without timestamps, plus the logins."""
    found = {}
    for table in TABLES:
        found[table] = sorted(
            json.dumps({k: v for k, v in row.items() if k not in TIMESTAMPS})
            for row in await rows(db, f"SELECT * FROM {table}")  # noqa: S608
        )
    found["users"] = sorted(
        row["login"] for row in await rows(db, "SELECT login FROM users")
    )
    return found


async def test_demo_catalog_is_complete(seeded: Database) -> None:
    """GIVEN an empty database WHEN the demo is seeded THEN >= 30 services, >= 50
    municipalities in all 16 Länder of every kind, every provider kind, services
    offered side by side, and every kind of cost component."""
    services = await rows(seeded, "SELECT id FROM services")
    assert len(services) >= 30
    municipalities = await rows(seeded, "SELECT land_code, kind FROM municipalities")
    assert len(municipalities) >= 50
    assert {m["land_code"] for m in municipalities} == {
        f"{n:02d}" for n in range(1, 17)
    }
    assert {m["kind"] for m in municipalities} == {
        "stadtstaat",
        "kreisfreie_stadt",
        "landkreis",
        "gemeinde",
    }
    laender = await rows(seeded, "SELECT population FROM laender")
    assert len(laender) == 16
    assert 80_000_000 < sum(land["population"] for land in laender) < 90_000_000
    providers = await rows(seeded, "SELECT kind FROM providers")
    assert {p["kind"] for p in providers} == {
        "land",
        "public_it_provider",
        "fitko",
        "govdigital",
        "private_vendor",
    }
    offers = await catalog.offers(seeded, None, limit=500)
    per_service = Counter(offer.service.id for offer in offers)
    assert max(per_service.values()) == 3
    assert sum(1 for n in per_service.values() if n >= 2) >= 10
    components = [
        component
        for offer in offers
        for version in offer.versions
        for component in version.cost_model.components
    ]
    kinds = Counter(type(c).__name__ for c in components)
    assert set(kinds) == {
        "OneOffFee",
        "AnnualFlatFee",
        "PerInhabitant",
        "PerCase",
        "LandShare",
    }
    land_pays = {getattr(c, "land_pays", None) for c in components}
    assert {True, False} <= land_pays
    assert any(len(getattr(c, "tiers", [])) >= 3 for c in components)
    assert any(len(offer.versions) >= 2 for offer in offers)


async def test_demo_accounts_log_in(seeded: Database) -> None:
    """GIVEN the seeded demo WHEN each documented account logs in THEN it works
    and has the role and scope the documentation gives it."""
    expected = {
        "operator": ("operator", None, None),
        "lecos": ("provider_admin", "lecos", None),
        "dataport": ("provider_admin", "dataport", None),
        "leipzig": ("municipality_buyer", None, "14713000"),
        "dresden": ("municipality_buyer", None, "14612000"),
    }
    for name, (login, password) in LOGINS.items():
        principal = await identity.authenticate(seeded, login, password)
        assert (
            principal.role,
            principal.provider_id,
            principal.municipality_ags,
        ) == expected[name]


async def test_seeding_twice_changes_nothing(seeded: Database) -> None:
    """GIVEN a seeded database WHEN seeded again THEN every row is as it was and
    the summary says nothing was new."""
    before = await fingerprint(seeded)
    summary = await seed_demo(seeded)
    assert await fingerprint(seeded) == before
    assert summary == (
        "Demodaten geladen: 0 Kommunen, 0 Anbieter, 0 Leistungen, "
        "0 Angebotsversionen, 0 Vertragsautomatiken, 0 Zugänge neu angelegt."
    )


async def test_an_interrupted_seed_is_completed(
    empty_db: Database, seeded: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a seed that crashed while publishing (a fault injected into the 10th
    publish) WHEN seeded again THEN the result equals an uninterrupted seed."""
    publish = catalog.publish
    calls = 0

    async def crashing_publish(*args: Any) -> Any:
        nonlocal calls
        calls += 1
        if calls == 10:
            raise RuntimeError("injected crash")
        return await publish(*args)

    monkeypatch.setattr(catalog, "publish", crashing_publish)
    with pytest.raises(RuntimeError, match="injected crash"):
        await seed_demo(empty_db)
    monkeypatch.setattr(catalog, "publish", publish)
    await seed_demo(empty_db)
    assert await fingerprint(empty_db) == await fingerprint(seeded)
