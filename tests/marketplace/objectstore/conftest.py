"""Document store fixtures: one moto S3 server per session (tests/support/s3.py,
an emulator of AWS's S3 API run as a real process), a fresh bucket per test, and
``store``, parametrised over every ``ObjectStore`` implementation."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from marketplace.objectstore import FileStore, ObjectStore
from marketplace.objectstore.s3 import S3Location, S3Store
from marketplace.objectstore.sigv4 import Credentials
from tests.support import s3 as s3_support
from tests.support.s3 import S3Server


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    if not s3_support.available():
        pytest.skip("moto_server is not installed (pip install -e '.[dev]')")
    with s3_support.s3_server() as server:
        yield server


@pytest.fixture
def bucket(s3: S3Server) -> str:
    return s3.fresh_bucket()


def s3_store(
    server: S3Server, bucket: str, *, prefix: str = "", secret: str | None = None
) -> S3Store:
    location = S3Location.parse(server.url(bucket, prefix))
    credentials = Credentials(server.access_key, secret or server.secret_key)
    return S3Store(location, credentials)


@dataclass
class Backend:
    """A store under test and a way around it to its raw objects."""

    store: ObjectStore
    write_raw: Callable[[str, bytes], None]
    keys: Callable[[], list[str]]


@pytest.fixture(params=["folder", "s3"])
async def backend(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Backend]:
    if request.param == "folder":
        root = tmp_path / "data"

        def write_file(key: str, content: bytes) -> None:
            (root / key).parent.mkdir(parents=True, exist_ok=True)
            (root / key).write_bytes(content)

        def files() -> list[str]:
            found = root.rglob("*") if root.exists() else []
            return sorted(str(p.relative_to(root)) for p in found if p.is_file())

        yield Backend(FileStore(root), write_file, files)
        return
    server: S3Server = request.getfixturevalue("s3")
    name = server.fresh_bucket()
    store = s3_store(server, name)

    def write_object(key: str, content: bytes) -> None:
        server.client().put_object(Bucket=name, Key=key, Body=content)

    def objects() -> list[str]:
        return sorted(server.objects(name))

    yield Backend(store, write_object, objects)
    await store.close()
