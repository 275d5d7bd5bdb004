"""Catalog fixtures: the demo data set loaded into the test app's database."""

from __future__ import annotations

import pytest

from marketplace.db import Database
from marketplace.demo import seed_demo


@pytest.fixture
async def demo(app_db: Database) -> Database:
    await seed_demo(app_db)
    return app_db
