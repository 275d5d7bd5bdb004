"""Fixtures shared by every test package."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from hypothesis import settings

from marketplace.db import Database

# The machines that run the suite are shared and noisy: a property test is about
# correctness, so no example may fail for being slow (timings belong in benchmarks/).
settings.register_profile("shared-machine", deadline=None)
settings.load_profile("shared-machine")


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    """A real, migrated SQLite file in the test's temporary folder."""
    async with Database(tmp_path / "marketplace.sqlite3", readers=2) as database:
        yield database
