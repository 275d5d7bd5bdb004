"""Catalog fixtures: every test's app starts on a copy of one database file that
holds the demo data set and a bearer token for each demo account.

Seeding runs once per session (through the real services, see ``seed_demo``);
copying the finished SQLite file is what keeps each test's set-up cheap.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_asyncio
from litestar import Litestar
from litestar.testing import AsyncTestClient

from marketplace.app import create_app
from marketplace.db import Database
from marketplace.demo import seed_demo
from marketplace.identity import service as identity
from marketplace.settings import Settings

# Demo accounts (marketplace/demo/data/accounts.json) the tests act as.
LOGINS = {
    "operator": ("betrieb", "demo-betrieb"),
    "lecos": ("lecos-admin", "demo-lecos"),
    "dataport": ("dataport-admin", "demo-dataport"),
    "leipzig": ("leipzig-einkauf", "demo-leipzig"),
    "dresden": ("dresden-einkauf", "demo-dresden"),
}


@dataclass(frozen=True)
class DemoTemplate:
    path: Path
    tokens: dict[str, str]


async def _build(path: Path) -> dict[str, str]:
    async with Database(path, readers=1) as db:
        await seed_demo(db)
        tokens = {}
        for name, (login, password) in LOGINS.items():
            principal = await identity.authenticate(db, login, password)
            tokens[name] = (await identity.issue_token(db, principal, "tests")).token
    return tokens


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> DemoTemplate:
    path = tmp_path_factory.mktemp("catalog") / "demo.sqlite3"
    # A thread of its own: no event loop of pytest-asyncio is disturbed.
    with ThreadPoolExecutor(max_workers=1) as pool:
        tokens = pool.submit(asyncio.run, _build(path)).result()
    return DemoTemplate(path=path, tokens=tokens)


def _settings(folder: Path, template: DemoTemplate) -> Settings:
    target = folder / "app.sqlite3"
    shutil.copyfile(template.path, target)
    return Settings(db_path=target, csrf_secret="test-csrf-secret", read_connections=2)


@pytest.fixture
def settings(tmp_path: Path, demo_template: DemoTemplate) -> Settings:
    """The app's settings, its database a fresh copy of the demo template."""
    return _settings(tmp_path, demo_template)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def shared_client(
    tmp_path_factory: pytest.TempPathFactory, demo_template: DemoTemplate
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """One app for a whole module of tests that must not change anything (their
    tests mark ``asyncio(loop_scope="module")`` and check that by counting)."""
    settings = _settings(tmp_path_factory.mktemp("shared"), demo_template)
    async with AsyncTestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def shared_db(shared_client: AsyncTestClient[Litestar]) -> Database:
    database: Database = shared_client.app.state.db
    return database


@pytest.fixture
def demo(app_db: Database) -> Database:
    """The running app's database, holding the demo data."""
    return app_db


@pytest.fixture
def auth(demo_template: DemoTemplate) -> dict[str, dict[str, str]]:
    """Bearer headers by role name: operator, lecos, dataport, leipzig, dresden."""
    return {
        name: {"Authorization": f"Bearer {token}"}
        for name, token in demo_template.tokens.items()
    }
