"""Retention of document bodies and clean-up of orphans, against the real app
(SQLite file or PostgreSQL, tests/marketplace/postgres/documents/) and a real
store (folder or a moto S3 bucket). Outcomes of outbox rows are set through the
outbox's own SQL (``outbox_repository``) with the engine off; the purge runs
with a clock moved past the retention, as ``documents.service.purge`` takes
``now`` (the engine's clock is injected the same way)."""

from __future__ import annotations

import base64
import hashlib
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec
import pytest

from marketplace.db import Database, database_for
from marketplace.delivery import enqueue, outbox_repository
from marketplace.delivery.schemas import SubmissionIn
from marketplace.documents.schemas import Policy
from marketplace.documents.service import purge
from marketplace.identity import service as identity
from marketplace.objectstore import ObjectStore, blob_key, intake_key
from marketplace.settings import Settings
from tests.marketplace.contracts.flow import Client
from tests.marketplace.delivery.flow import (
    LEIKA,
    LEIPZIG,
    Subscribed,
    add_route,
    payload,
)
from tests.marketplace.intake import samples

DAY = 86_400.0
POLICY = Policy(retention=30 * DAY, grace=DAY, batch=3)
RECEIPT = b'{"reference": "EB-2026-1", "duplicate": false}'
GONE = "gemäß Aufbewahrungsfrist gelöscht am"


@dataclass
class World:
    client: Client
    sub: Subscribed
    db: Database
    store: ObjectStore


@pytest.fixture
async def world(client: Client, leipzig: Subscribed, tmp_path: Path) -> World:
    folder = {"path": str(tmp_path / "ablage" / "akte"), "min_free_bytes": 0}
    await add_route(client, leipzig, "akte", "dropfolder", folder)
    app = client.app
    return World(client, leipzig, app.state.db, app.state.document_store)


async def submit(world: World, body: dict[str, Any]) -> tuple[str, str, str]:
    """(submission id, key, sha256) of an online submission with one document."""
    answer = await world.client.post(
        f"{world.sub.base}/submissions", json=body, headers=world.sub.owner
    )
    assert answer.status_code == 201, answer.text
    sha = body["documents"][0]["sha256"]
    return answer.json()["id"], blob_key(sha), sha


async def scan(world: World, number: int) -> tuple[str, str, str]:
    """(submission id, key, sha256) of a scanned letter for Leipzig's service."""
    content = samples.letter_pdf(number)
    sha = samples.sha256(content)
    answer = await world.client.put(
        f"/api/v1/intake/documents/{sha}",
        json=samples.body(content, leika_key=LEIKA),
        headers=world.sub.owner,
    )
    assert answer.status_code == 201, answer.text
    async with world.db.read() as conn:
        rows = await conn.execute_fetchall(
            "SELECT id FROM delivery_submissions WHERE intake_sha256 = ?", (sha,)
        )
    return str(next(iter(rows))[0]), intake_key(LEIPZIG, sha), sha


async def settle(db: Database, outcomes: dict[str, str], now: float) -> None:
    """Every due row: delivered, dead, or back to pending, by its submission."""
    async with db.transaction() as conn:
        claims = await outbox_repository.claim(
            conn, now=now, lease_until=now + 60, limit=1000, blocked=[]
        )
        for claim in claims:
            outcome = outcomes.get(claim.submission_id, "pending")
            if outcome == "delivered":
                await outbox_repository.mark_delivered(conn, claim.id, RECEIPT, now)
            elif outcome == "dead":
                await outbox_repository.mark_dead(conn, claim, "abgelehnt", now)
            else:
                await outbox_repository.release(conn, claim)


async def readable(store: ObjectStore, key: str, sha: str) -> bool:
    return await store.exists(key) and len(await store.get(key, sha256=sha)) > 0


async def purged_log_entries(db: Database) -> list[str]:
    async with db.read() as conn:
        rows = await conn.execute_fetchall(
            "SELECT submission_id FROM delivery_transfer_log WHERE outcome = 'purged'"
        )
    return sorted(str(r[0]) for r in rows)


async def test_exactly_the_delivered_bodies_go_after_the_retention(
    world: World,
) -> None:
    """GIVEN 4 delivered online submissions and 1 delivered scanned letter, 2
    dead letters, 2 pending submissions, and a document shared by a delivered
    and a pending submission
    WHEN the purge runs 29 days later, then as a dry run and for real 31 days
    later, then once more
    THEN at 29 days nothing goes; the dry run counts 5 bodies and 1 kept as
    needed and deletes nothing; the real run deletes exactly the 5 bodies,
    records 5 'purged' transfer log entries without values, and keeps every
    dead, pending and shared body readable; the letter's download says it was
    deleted, in German (410); the second run finds nothing."""
    outcomes: dict[str, str] = {}
    gone, kept = [], []
    for _ in range(4):
        sid, key, sha = await submit(world, payload())
        outcomes[sid] = "delivered"
        gone.append((key, sha))
    sid, key, sha = await scan(world, 1)
    outcomes[sid] = "delivered"
    gone.append((key, sha))
    letter_sha = sha
    for state in ("dead", "dead", "pending", "pending"):
        sid, key, sha = await submit(world, payload())
        outcomes[sid] = state
        kept.append((key, sha))
    shared = payload()
    first, key, sha = await submit(world, shared)
    second, _, _ = await submit(world, {**shared})
    outcomes.update({first: "delivered", second: "pending"})
    kept.append((key, sha))
    t0 = time.time()
    await settle(world.db, outcomes, t0)

    early = await purge(world.db, world.store, POLICY, now=t0 + 29 * DAY)
    assert (early.purged_bodies, early.orphans_deleted) == (0, 0)
    dry = await purge(world.db, world.store, POLICY, now=t0 + 31 * DAY, dry_run=True)
    assert (dry.purged_bodies, dry.kept_needed, dry.orphans_deleted) == (5, 1, 0)
    assert all([await readable(world.store, k, s) for k, s in gone + kept])
    sizes = sum([len(await world.store.get(k, sha256=s)) for k, s in gone])

    report = await purge(world.db, world.store, POLICY, now=t0 + 31 * DAY)
    assert (report.purged_bodies, report.kept_needed, report.orphans_deleted) == (
        5,
        1,
        0,
    )
    assert report.purged_bytes == sizes
    assert [await world.store.exists(k) for k, _ in gone] == [False] * 5
    assert all([await readable(world.store, k, s) for k, s in kept])
    delivered = sorted(s for s, o in outcomes.items() if o == "delivered")
    delivered.remove(first)
    assert await purged_log_entries(world.db) == delivered

    answer = await world.client.get(
        f"/api/v1/intake/documents/{letter_sha}/content", headers=world.sub.owner
    )
    assert answer.status_code == 410
    assert GONE in answer.json()["detail"]
    again = await purge(world.db, world.store, POLICY, now=t0 + 32 * DAY)
    assert (again.purged_bodies, again.orphans_deleted) == (0, 0)


async def test_old_orphans_go_young_ones_and_referenced_bodies_stay(
    world: World,
) -> None:
    """GIVEN two objects no row refers to (a crash between store and commit),
    and a pending submission's body
    WHEN the purge runs now, then as a dry run and for real 25 hours later
    THEN now both orphans are young and stay; the dry run counts 2 and deletes
    nothing; the real run deletes both and records them; the pending body
    stays, also 25 hours later."""
    orphans = []
    for n in range(2):
        content = samples.letter_pdf(100 + n)
        sha = samples.sha256(content)
        key = blob_key(sha) if n else intake_key(LEIPZIG, sha)
        await world.store.put(key, content, sha256=sha, content_type="x/y")
        orphans.append(key)
    _, key, sha = await submit(world, payload())
    now = time.time()

    young = await purge(world.db, world.store, POLICY, now=now)
    assert (young.orphans_deleted, young.young_orphans) == (0, 2)
    dry = await purge(world.db, world.store, POLICY, now=now + 25 * 3600, dry_run=True)
    assert dry.orphans_deleted == 2
    assert [await world.store.exists(k) for k in orphans] == [True, True]
    done = await purge(world.db, world.store, POLICY, now=now + 25 * 3600)
    assert (done.orphans_deleted, done.purged_bodies) == (2, 0)
    assert [await world.store.exists(k) for k in orphans] == [False, False]
    assert await readable(world.store, key, sha)
    async with world.db.read() as conn:
        rows = await conn.execute_fetchall(
            "SELECT location FROM document_deletions WHERE reason = 'orphan'"
        )
    assert sorted(str(r[0]) for r in rows) == sorted(orphans)


async def test_the_download_page_of_a_purged_document_says_so_in_german(
    world: World,
) -> None:
    """GIVEN a delivered submission, its document downloadable from the
    municipality's page
    WHEN the retention has passed and the purge ran
    THEN the page answers 410 in German with the date of deletion, and the
    transfer log page shows the deletion."""
    body = payload()
    sid, _, sha = await submit(world, body)
    t0 = time.time()
    await settle(world.db, {sid: "delivered"}, t0)
    page = f"/kommune/einreichungen/{sid}/dokumente/1"
    html = {**world.sub.owner, "Accept": "text/html"}
    before = await world.client.get(page, headers=html)
    assert before.status_code == 200
    assert hashlib.sha256(before.content).hexdigest() == sha
    await purge(world.db, world.store, POLICY, now=t0 + 31 * DAY)
    after = await world.client.get(page, headers=html)
    assert after.status_code == 410
    assert "text/html" in after.headers["content-type"]
    assert GONE in after.text
    log = await world.client.get("/kommune/protokoll", headers=html)
    assert "Dokumente gelöscht" in log.text


class RacingStore:
    """The app's real store; right after the writer's first ``put`` a purge
    runs on a second database connection set (another worker), before the
    writer commits: the interleaving a purge racing an enqueue can have."""

    def __init__(self, store: ObjectStore, other: Database) -> None:
        self.store = store
        self.other = other
        self.reports: list[Any] = []

    async def put(
        self, key: str, content: bytes, *, sha256: str, content_type: str
    ) -> None:
        await self.store.put(key, content, sha256=sha256, content_type=content_type)
        if not self.reports:
            policy = Policy(retention=0, grace=DAY)
            report = await purge(self.other, self.store, policy, now=time.time() + 1)
            self.reports.append(report)

    async def get(self, key: str, *, sha256: str) -> bytes:
        return await self.store.get(key, sha256=sha256)

    async def exists(self, key: str) -> bool:
        return await self.store.exists(key)

    async def delete(self, key: str) -> None:
        await self.store.delete(key)

    def list(self, prefix: str) -> Any:
        return self.store.list(prefix)

    async def check(self) -> None:
        await self.store.check()

    async def close(self) -> None:
        return None


async def test_a_purge_racing_a_new_submission_of_the_same_bytes_loses_nothing(
    world: World, settings: Settings
) -> None:
    """GIVEN a delivered submission whose document may go at once (retention 0)
    WHEN the same document is submitted again and, between its store and its
    commit, a second worker's purge deletes the body (no committed row needs
    it yet)
    THEN the new submission stores it again in its transaction: it is pending
    and its body is readable, and the purge's deletion is on record."""
    body = payload()
    first, key, sha = await submit(world, body)
    await settle(world.db, {first: "delivered"}, time.time())
    url = world.client.app.state.settings.database_url
    other_settings = msgspec.structs.replace(settings, database_url=url)
    async with database_for(other_settings, connections=1) as other:
        racing = RacingStore(world.store, other)
        principal = await identity.authenticate(world.db, "leipzig", "correct-horse")
        again = msgspec.json.decode(
            msgspec.json.encode({**body, "documents": body["documents"]}),
            type=SubmissionIn,
        )
        created, fresh = await enqueue.submit(
            world.db, racing, principal, world.sub.id, again
        )
    assert fresh
    assert racing.reports[0].purged_bodies == 1
    assert [i.state.value for i in created.outbox] == ["pending"]
    assert await readable(world.store, key, sha)
    async with world.db.read() as conn:
        rows = await conn.execute_fetchall(
            "SELECT reason FROM document_deletions WHERE location = ?", (key,)
        )
    assert [str(r[0]) for r in rows] == ["retention"]
    assert base64.b64decode(body["documents"][0]["content"]) == await world.store.get(
        key, sha256=sha
    )
