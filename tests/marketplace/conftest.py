"""Marketplace fixtures: a real app over a real SQLite file, and accounts with tokens.

With ``MARKETPLACE_TEST_BACKEND=postgresql`` the app of ``client`` runs on a fresh
database of a throwaway PostgreSQL server instead (the contract suite of the
scale-out mode, tests/marketplace/postgres/).
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from marketplace.app import create_app
from marketplace.db import Database
from marketplace.identity import service as identity
from marketplace.identity.schemas import Role
from marketplace.settings import Settings
from tests.support.postgres import postgres_server

MakeAccount = Callable[..., Awaitable[dict[str, str]]]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        db_path=tmp_path / "app.sqlite3",
        csrf_secret="test-csrf-secret",
        read_connections=2,
    )


@pytest.fixture(scope="session")
def backend_url() -> Iterator[Callable[[], str]]:
    """A fresh database's URL per call on PostgreSQL; "" (SQLite) by default."""
    if os.environ.get("MARKETPLACE_TEST_BACKEND") != "postgresql":
        yield str
        return
    with postgres_server() as server:
        yield server.fresh


@pytest.fixture
def document_store() -> dict[str, str]:
    """Settings of the document store: none, so the folder beside the database;
    tests/marketplace/objectstore/on_s3/ names an S3 bucket instead."""
    return {}


StoredBodies = Callable[[], dict[str, bytes]]


@pytest.fixture
def stored_bodies(settings: Settings) -> StoredBodies:
    """Every file below the folder store's ``intake/`` and ``delivery/`` by key,
    temporary files included (overridden for S3 with the bucket's objects)."""
    root = settings.db_path.parent

    def listing() -> dict[str, bytes]:
        found = [p for top in ("intake", "delivery") for p in (root / top).rglob("*")]
        return {str(p.relative_to(root)): p.read_bytes() for p in found if p.is_file()}

    return listing


@pytest.fixture
async def client(
    settings: Settings, backend_url: Callable[[], str], document_store: dict[str, str]
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    settings = msgspec.structs.replace(
        settings, database_url=backend_url(), **document_store
    )
    async with AsyncTestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture
def app_db(client: AsyncTestClient[Litestar]) -> Database:
    """The database the running test app uses."""
    database: Database = client.app.state.db
    return database


@pytest.fixture
def make_account(app_db: Database) -> MakeAccount:
    """Create an account in the app's database; return its bearer header."""

    async def make(
        login: str,
        role: Role,
        *,
        provider_id: str | None = None,
        municipality_ags: str | None = None,
    ) -> dict[str, str]:
        await identity.create_user(
            app_db,
            login=login,
            display_name=login.title(),
            password="correct-horse",
            role=role,
            provider_id=provider_id,
            municipality_ags=municipality_ags,
        )
        principal = await identity.authenticate(app_db, login, "correct-horse")
        issued = await identity.issue_token(app_db, principal, "test")
        return {"Authorization": f"Bearer {issued.token}"}

    return make


SeedOffer = Callable[..., Awaitable[int]]

_DEMO_COST_MODEL = (
    '{"components": ['
    '{"kind": "one_off", "label": "Anbindung", "amount_cents": 150000},'
    '{"kind": "annual_flat", "label": "Betrieb", "amount_cents": 240000}'
    "]}"
)


@pytest.fixture
def seed_offer(app_db: Database) -> SeedOffer:
    """Insert, with plain SQL, the smallest catalog one published offer version
    needs: Land Sachsen, provider ``lecos``, Leipzig (14713000), a service and the
    offer. Returns the offer version id. For contexts that build on the catalog
    without depending on the catalog's own code."""

    async def seed(*, provider_id: str = "lecos", ags: str = "14713000") -> int:
        now = "2026-01-01T00:00:00+00:00"
        async with app_db.transaction() as conn:
            await conn.execute(
                "INSERT OR IGNORE INTO laender VALUES ('14', 'SN', 'Sachsen', 4086152)"
            )
            await conn.execute(
                "INSERT OR IGNORE INTO providers (id, name, kind, land_code, created_at)"
                " VALUES (?, ?, 'public_it_provider', '14', ?)",
                (provider_id, provider_id.title(), now),
            )
            await conn.execute(
                "INSERT OR IGNORE INTO municipalities"
                " (ags, name, kind, land_code, population) VALUES (?, ?, ?, '14', ?)",
                (ags, f"Gemeinde {ags}", "kreisfreie_stadt", 616093),
            )
            await conn.execute(
                "INSERT OR IGNORE INTO services (leika_key, title, ozg_bundle, topic,"
                " maturity, trust_level, delivery_standard, has_test_instance,"
                " created_at) VALUES ('99070004012000', 'Bewohnerparkausweis',"
                " 'Parkerleichterungen', 'Mobilität & Reisen', 3, 'substantiell',"
                " 'PDF', 1, ?)",
                (now,),
            )
            cursor = await conn.execute(
                "INSERT INTO offers (provider_id, service_id, created_at)"
                " SELECT ?, id, ? FROM services WHERE leika_key = '99070004012000'",
                (provider_id, now),
            )
            offer_id = cursor.lastrowid
            cursor = await conn.execute(
                "INSERT INTO offer_versions (offer_id, version, status, title,"
                " description, land_code, legal_route, cost_model, contract_template,"
                " notice_period_months, created_at, published_at)"
                " VALUES (?, 1, 'published', 'Bewohnerparken digital', 'Antrag',"
                " '14', 'administrative_agreement', ?, ?, 6, ?, ?)",
                (
                    offer_id,
                    _DEMO_COST_MODEL,
                    "Nachnutzungsvereinbarung zwischen {{anbieter}} und {{kommune}}"
                    " über {{leistung}}.\n{{entgelt}}",
                    now,
                    now,
                ),
            )
            assert cursor.lastrowid is not None
            return cursor.lastrowid

    return seed
