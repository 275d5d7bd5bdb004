"""Marketplace fixtures: a real app over a real SQLite file, and accounts with tokens."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from marketplace.app import create_app
from marketplace.db import Database
from marketplace.identity import service as identity
from marketplace.identity.schemas import Role
from marketplace.settings import Settings

MakeAccount = Callable[..., Awaitable[dict[str, str]]]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        db_path=tmp_path / "app.sqlite3",
        csrf_secret="test-csrf-secret",
        read_connections=2,
    )


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[AsyncTestClient[Litestar]]:
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
