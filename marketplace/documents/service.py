"""The purge: bodies every referring submission has been delivered with, once
the retention has passed, and objects no row refers to, once the grace period
has passed. Every deletion happens inside a serialised write transaction that
checks the rows once more and records it (``document_deletions``, and for
delivered submissions an entry ``purged`` in the transfer log), so a writer that
stores the same key at the same moment either commits first (the key is kept)
or sees the record and stores the body again (``restore_deleted``).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

import msgspec

from connectors.transferlog import DocumentRecord, TransferLogEntry
from marketplace.db import Connection, Database
from marketplace.delivery import repository as delivery_repository
from marketplace.delivery.schemas import Envelope
from marketplace.documents import repository
from marketplace.documents.schemas import Policy, PurgeReport
from marketplace.objectstore import (
    PREFIXES,
    ObjectStore,
    StoredObject,
    StoreUnavailable,
    blob_key_sha256,
    intake_key_parts,
)

log = logging.getLogger(__name__)

# A deletion recorded this long before a writer's store still counts: the
# workers' clocks agree within a minute (docs/operations.md).
CLOCK_MARGIN = 60.0
PURPOSE = "Löschung nach Aufbewahrungsfrist (Art. 5 Abs. 1 lit. e DSGVO)"


@dataclass(frozen=True)
class Body:
    """A body a writer has just stored and is about to commit rows for."""

    key: str
    content: bytes
    sha256: str
    media_type: str


async def restore_deleted(
    conn: Connection, store: ObjectStore, bodies: Sequence[Body], since: float
) -> None:
    """In the writer's transaction: store again what a purge deleted after the
    writer stored it (the purge checked the rows before this one committed)."""
    gone = await repository.deleted_since(
        conn, [b.key for b in bodies], since - CLOCK_MARGIN
    )
    for body in bodies:
        if body.key in gone:
            log.info("document %s was purged meanwhile; storing it again", body.key)
            await store.put(
                body.key, body.content, sha256=body.sha256, content_type=body.media_type
            )


async def purge(
    db: Database,
    store: ObjectStore,
    policy: Policy,
    *,
    now: float,
    dry_run: bool = False,
) -> PurgeReport:
    """One run: delivered bodies past the retention, then old orphans."""
    report = PurgeReport(dry_run=dry_run)
    cutoff = now - policy.retention
    async with db.read() as conn:
        report.kept_needed = await repository.still_needed(conn, cutoff)
    if dry_run:
        async with db.read() as conn:
            found = await repository.releasable(conn, cutoff, 2**31 - 1)
        report.purged_bodies = len(found)
        report.purged_bytes = sum(size for _, size in found)
    else:
        await _purge_delivered(db, store, policy, now, report)
    await _purge_orphans(db, store, policy, now, report)
    log.info(
        "document purge%s: %d bodies, %d orphans, %d bytes, %d kept as needed",
        " (dry run)" if dry_run else "",
        report.purged_bodies,
        report.orphans_deleted,
        report.bytes_freed,
        report.kept_needed,
    )
    return report


async def _purge_delivered(
    db: Database, store: ObjectStore, policy: Policy, now: float, report: PurgeReport
) -> None:
    cutoff = now - policy.retention
    skipped: set[str] = set()
    while True:
        limit = policy.batch + len(skipped)
        async with db.transaction() as conn:
            found = await repository.releasable(conn, cutoff, limit)
            batch = [(key, size) for key, size in found if key not in skipped]
            deleted, failure = await _delete(store, batch, skipped)
            await _record_delivered(conn, deleted, policy, now)
        report.purged_bodies += len(deleted)
        report.purged_bytes += sum(size for _, size in deleted)
        if failure is not None:
            raise failure
        if len(found) < limit or not batch:
            return


async def _delete(
    store: ObjectStore, batch: list[tuple[str, int]], skipped: set[str]
) -> tuple[list[tuple[str, int]], StoreUnavailable | None]:
    """Delete one by one; stop at the first store failure (what was deleted is
    still recorded). Keys that are no store keys (rows from before the store)
    are left alone."""
    deleted: list[tuple[str, int]] = []
    for key, size in batch:
        if intake_key_parts(key) is None and blob_key_sha256(key) is None:
            skipped.add(key)
            continue
        try:
            await store.delete(key)
        except StoreUnavailable as exc:
            return deleted, exc
        deleted.append((key, size))
    return deleted, None


async def _record_delivered(
    conn: Connection, deleted: list[tuple[str, int]], policy: Policy, now: float
) -> None:
    keys = [key for key, _ in deleted]
    for key, size in deleted:
        await repository.record_deletion(conn, key, "retention", size, now)
        if intake := intake_key_parts(key):
            await repository.mark_intake_purged(conn, *intake, now)
    for submission_id in await repository.mark_purged(conn, keys, now):
        await _log_purge(conn, submission_id, set(keys), policy, now)


async def _log_purge(
    conn: Connection, submission_id: str, keys: set[str], policy: Policy, now: float
) -> None:
    """The transfer log entry: which documents (id, type, size, SHA-256) of the
    submission were deleted, no values or file names."""
    facts = await repository.purge_log_facts(conn, submission_id)
    if not facts:
        return
    envelope = msgspec.json.decode(bytes(facts["envelope"]), type=Envelope)
    days = policy.retention / 86400
    entry = TransferLogEntry(
        entry_id=str(uuid.uuid4()),
        at=datetime.fromtimestamp(now, UTC),
        submission_id=submission_id,
        municipality_ags=facts["municipality_ags"],
        service_leika=facts["service_leika"] or "",
        purpose=PURPOSE,
        receiver=facts["name"],
        connector=facts["kind"],
        environment="test" if facts["test"] else "production",
        channel=facts["channel"],
        identification_level=envelope.metadata.identification_level,
        data_fields=(),
        documents=tuple(
            DocumentRecord(
                document_id=d.document_id,
                media_type=d.media_type,
                size=d.size,
                sha256=d.sha256,
            )
            for d in envelope.documents
            if d.location in keys
        ),
        outcome="purged",
        reason=f"Dokumentinhalt nach Zustellung und {days:g} Tag(en)"
        " Aufbewahrung gelöscht; Prüfsumme, Größe und Empfangsbestätigung bleiben.",
    )
    await delivery_repository.insert_log(conn, entry, facts["outbox_id"])


async def _purge_orphans(
    db: Database, store: ObjectStore, policy: Policy, now: float, report: PurgeReport
) -> None:
    """Objects under the store's prefixes that no row refers to and that were
    written more than ``grace`` ago; younger ones may be uploads in flight."""
    batch: list[StoredObject] = []
    for prefix in PREFIXES:
        async for found in store.list(prefix):
            if found.modified > now - policy.grace:
                if not await _referenced_now(db, found.key):
                    report.young_orphans += 1
                continue
            if await _referenced_now(db, found.key):
                continue
            batch.append(found)
            if len(batch) >= policy.batch:
                await _delete_orphans(db, store, batch, now, report)
                batch = []
    if batch:
        await _delete_orphans(db, store, batch, now, report)


async def _referenced_now(db: Database, key: str) -> bool:
    async with db.read() as conn:
        return await _referenced(conn, key)


async def _referenced(conn: Connection, key: str) -> bool:
    if intake := intake_key_parts(key):
        return await repository.referenced(conn, key, *intake)
    if sha256 := blob_key_sha256(key):
        return await repository.referenced(conn, key, None, sha256)
    return await repository.referenced(conn, key, None, None)


async def _delete_orphans(
    db: Database,
    store: ObjectStore,
    batch: list[StoredObject],
    now: float,
    report: PurgeReport,
) -> None:
    if report.dry_run:
        report.orphans_deleted += len(batch)
        report.orphan_bytes += sum(o.size for o in batch)
        return
    failure: StoreUnavailable | None = None
    async with db.transaction() as conn:
        for found in batch:
            if await _referenced(conn, found.key):  # committed meanwhile
                continue
            try:
                await store.delete(found.key)
            except StoreUnavailable as exc:  # record what went, then report
                failure = exc
                break
            await repository.record_deletion(conn, found.key, "orphan", found.size, now)
            report.orphans_deleted += 1
            report.orphan_bytes += found.size
            log.info("orphan %s deleted (%d bytes)", found.key, found.size)
    if failure is not None:
        raise failure
