"""Outbox fixtures: the real marketplace app in-process with a buyer token, PDFs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import TestClient

from appliance.outbox import DocumentMetadata, HttpIntake, Outbox, OutboxSettings
from marketplace.app import create_app
from marketplace.db import Database
from marketplace.identity import service as identity
from marketplace.identity.schemas import Role
from marketplace.settings import Settings
from tests.marketplace.intake.samples import letter_pdf

LEIPZIG = "14713000"


async def buyer_token(db_path: Path, login: str = "poststelle") -> str:
    """Create a municipality_buyer account for Leipzig and return an API token."""
    async with Database(db_path, readers=1) as db:
        await identity.create_user(
            db,
            login=login,
            display_name="Poststelle Leipzig",
            password="poststelle-geheim",
            role=Role.MUNICIPALITY_BUYER,
            municipality_ags=LEIPZIG,
        )
        principal = await identity.authenticate(db, login, "poststelle-geheim")
        return (await identity.issue_token(db, principal, "Scanstation")).token


class Marketplace:
    """The marketplace app served in-process; ``db_path`` to count what arrived."""

    def __init__(self, client: TestClient[Litestar], db_path: Path, token: str):
        self.client = client
        self.db_path = db_path
        self.token = token

    def intake(self) -> HttpIntake:
        return HttpIntake("", self.token, client=self.client)


@pytest.fixture
def marketplace(tmp_path: Path) -> Iterator[Marketplace]:
    db_path = tmp_path / "marketplace" / "mp.sqlite3"
    token = asyncio.run(buyer_token(db_path))
    settings = Settings(db_path=db_path, csrf_secret="outbox-tests", read_connections=1)
    with TestClient(create_app(settings)) as client:
        yield Marketplace(client, db_path, token)


@pytest.fixture
def outbox(tmp_path: Path) -> Outbox:
    return Outbox(tmp_path / "outbox")


@pytest.fixture
def outbox_settings() -> OutboxSettings:
    return OutboxSettings(backoff_base=0.01, backoff_cap=0.05, max_attempts=3)


def write_pdfs(folder: Path, count: int, *, start: int = 0) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(start, start + count):
        path = folder / f"brief-{number:04d}.pdf"
        path.write_bytes(letter_pdf(number))
        paths.append(path)
    return paths


def metadata_for(path: Path) -> DocumentMetadata:
    return DocumentMetadata(
        appliance_id="scanstation-test",
        filename=path.name,
        page_count=1,
        office="ordnungsamt",
        route="dms:posteingang-32",
        confidence=0.9,
        method="keyword",
    )
