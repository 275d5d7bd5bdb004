"""Two marketplace processes on one PostgreSQL database share one S3 bucket and
nothing else: one receives (``--no-deliver``), the other delivers.

Each worker has its own ``--db`` folder, so a document can only get from the
receiving worker to the delivering one through the bucket (moto, an AWS S3
emulator run as a real process). PostgreSQL is Debian's, started by
tests/support/postgres.py; skipped where it is not installed.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import msgspec
import pytest

from marketplace.settings import Settings
from tests.marketplace.contracts.flow import Client
from tests.marketplace.delivery.flow import (
    LEIKA,
    Subscribed,
    add_route,
    payload,
    settings_for,
    settled,
)
from tests.marketplace.intake.samples import body, letter_pdf
from tests.support import postgres
from tests.support.processes import VENV_BIN, LiveProcess, free_port
from tests.support.s3 import S3Server

LETTERS, ONLINE = 12, 8
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def backend_url() -> Iterator[Callable[[], str]]:
    """The in-test app and both workers on one fresh PostgreSQL database."""
    if not postgres.available():
        pytest.skip("PostgreSQL 15 is not installed (scripts/bootstrap)")
    with postgres.postgres_server() as server:
        yield server.fresh


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The in-test app only sets up the subscription; it delivers nothing."""
    return msgspec.structs.replace(settings, deliver=False)


@pytest.fixture
def workers(
    client: Client,
    settings: Settings,
    document_store: dict[str, str],
    tmp_path: Path,
) -> Iterator[dict[str, str]]:
    """``marketplace serve`` twice with the same database and bucket, each with
    its own data folder: the receiver (no delivery engine) and the deliverer."""
    env = {
        "MARKETPLACE_S3_ACCESS_KEY": document_store["s3_access_key"],
        "MARKETPLACE_S3_SECRET_KEY": document_store["s3_secret_key"],
        "MARKETPLACE_DELIVERY_POLL": "0.1",
        "MARKETPLACE_DELIVERY_BACKOFF_CAP": "0.5",
        "MARKETPLACE_DELIVERY_FOLDER_ROOT": settings.delivery_folder_root,
    }
    started: dict[str, tuple[LiveProcess, str]] = {}
    try:
        for role, extra in (("receiver", ["--no-deliver"]), ("deliverer", [])):
            port = free_port()
            argv = [str(VENV_BIN / "marketplace")]
            argv += ["--db", str(tmp_path / role / "mp.sqlite3")]
            argv += ["--database-url", client.app.state.db.url]
            argv += ["--object-store", document_store["object_store"]]
            argv += ["serve", "--port", str(port), *extra]
            live = LiveProcess(argv, tmp_path / f"{role}.log", env)
            started[role] = (live, f"http://127.0.0.1:{port}")
        for live, base in started.values():
            live.wait_http(f"{base}/health")
        yield {role: base for role, (_, base) in started.items()}
    finally:
        for live, _ in started.values():
            live.stop()


async def test_one_worker_receives_and_the_other_delivers_through_the_bucket(
    client: Client,
    leipzig: Subscribed,
    workers: dict[str, str],
    s3: S3Server,
    bucket: str,
    tmp_path: Path,
) -> None:
    """GIVEN Leipzig's subscription with a drop folder route, a receiving and a
    delivering worker sharing one PostgreSQL database and one S3 bucket
    WHEN 12 scanned letters and 8 online submissions arrive at the receiver
    THEN the deliverer delivers all 20 once, each file byte for byte what was
    sent; the bucket holds the 20 bodies and neither worker's folder any."""
    folder = tmp_path / "ablage" / "post"
    folder.mkdir(parents=True)
    route = settings_for("dropfolder", None, folder)
    await add_route(client, leipzig, "Posteingang", "dropfolder", route)
    sent = await _send(workers["receiver"], leipzig)

    items = await settled(client, leipzig, within=60, expect=LETTERS + ONLINE)
    assert [i["state"] for i in items] == ["delivered"] * (LETTERS + ONLINE)
    delivered = _delivered(folder)
    print(f"two workers: {len(sent)} sent, {len(delivered)} delivered from S3")
    assert delivered == sent
    assert len(s3.objects(bucket, "mp/")) == LETTERS + ONLINE
    for role in workers:
        assert not (tmp_path / role / "intake").exists()
        assert not (tmp_path / role / "delivery").exists()


async def _send(base: str, sub: Subscribed) -> dict[str, bytes]:
    """Letters to the intake and submissions to the API of the receiving
    worker, four at a time; the bytes sent, by SHA-256."""
    sent: dict[str, bytes] = {}
    gate = asyncio.Semaphore(4)
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:

        async def letter(n: int) -> None:
            pdf = letter_pdf(100 + n) + b"%" + bytes(50_000 + n)
            key = hashlib.sha256(pdf).hexdigest()
            async with gate:
                answer = await http.put(
                    f"/api/v1/intake/documents/{key}",
                    json=body(pdf, leika_key=LEIKA),
                    headers=sub.owner,
                )
            assert answer.status_code == 201, answer.text
            sent[key] = pdf

        async def online() -> None:
            submission = payload(size=40_000)
            async with gate:
                answer = await http.post(
                    f"{sub.base}/submissions", json=submission, headers=sub.owner
                )
            assert answer.status_code == 201, answer.text
            [document] = submission["documents"]
            sent[document["sha256"]] = base64.b64decode(document["content"])

        await asyncio.gather(
            *(letter(n) for n in range(LETTERS)), *(online() for _ in range(ONLINE))
        )
    return sent


def _delivered(folder: Path) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for manifest in folder.glob("*/manifest.json"):
        for file in json.loads(manifest.read_text())["files"]:
            if file["role"] == "document":
                content = (manifest.parent / file["name"]).read_bytes()
                assert file["sha256"] not in found, "delivered twice"
                found[file["sha256"]] = content
    return found
