"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from marketplace.db import Database


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A real, migrated SQLite file in the test's temporary folder."""
    async with Database(tmp_path / "marketplace.sqlite3", readers=2) as database:
        yield database
