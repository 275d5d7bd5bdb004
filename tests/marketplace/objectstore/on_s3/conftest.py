"""The intake and delivery tests that touch document bodies, re-run with the
app's documents in an S3 bucket of the session's moto server (an AWS S3
emulator run as a real process, tests/support/s3.py) instead of the folder
beside the database: ``document_store`` names a fresh bucket per test and
``stored_bodies`` lists that bucket with boto3."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from marketplace.settings import Settings
from tests.marketplace.conftest import StoredBodies
from tests.marketplace.delivery.conftest import *  # noqa: F403
from tests.support.s3 import S3Server


@pytest.fixture
def document_store(s3: S3Server, bucket: str) -> dict[str, str]:
    return {
        "object_store": s3.url(bucket, "mp"),
        "s3_access_key": s3.access_key,
        "s3_secret_key": s3.secret_key,
    }


@pytest.fixture
def stored_bodies(s3: S3Server, bucket: str) -> StoredBodies:
    def listing() -> dict[str, bytes]:
        objects = s3.objects(bucket, "mp/")
        return {key.removeprefix("mp/"): body for key, body in objects.items()}

    return listing


@pytest.fixture(autouse=True)
def nothing_in_the_folder(settings: Settings) -> Iterator[None]:
    """Every body went to the bucket: the folder beside the database has no
    ``intake/`` or ``delivery/`` afterwards."""
    yield
    root = settings.db_path.parent
    assert not (root / "intake").exists()
    assert not (root / "delivery").exists()
