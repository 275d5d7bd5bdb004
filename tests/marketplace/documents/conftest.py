"""Retention fixtures: the delivery tests' app and Leipzig's subscription with a
drop folder route, the engine and the hourly purge off (each test sets the
outcome of every outbox row through the outbox's own SQL and runs the purge
with its own clock), and the document store parametrised: the folder beside the
database and an S3 bucket of a moto server (tests/support/s3.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace.settings import Settings
from tests.marketplace.delivery.conftest import *  # noqa: F403
from tests.marketplace.objectstore.conftest import s3  # noqa: F401 - fixture
from tests.support.s3 import S3Server


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(
        db_path=tmp_path / "app.sqlite3",
        csrf_secret="test-csrf-secret",
        read_connections=2,
        deliver=False,
        purge_interval=0,
        delivery_folder_root=str(tmp_path / "ablage"),
    )


@pytest.fixture(params=["folder", "s3"])
def document_store(request: pytest.FixtureRequest) -> dict[str, str]:
    if request.param == "folder":
        return {}
    server: S3Server = request.getfixturevalue("s3")
    return {
        "object_store": server.url(server.fresh_bucket(), "mp"),
        "s3_access_key": server.access_key,
        "s3_secret_key": server.secret_key,
    }
