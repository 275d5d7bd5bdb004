"""One claimed delivery: load it, check it once more, build the submission with its
documents, and record the outcome with its transfer log entry."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import msgspec

from connectors.results import Deferred, Delivered, DeliveryResult, Rejected
from connectors.submission import Document, Submission
from connectors.transferlog import entry_for
from marketplace.db import Database
from marketplace.delivery import outbox_repository, repository, rules
from marketplace.delivery.outbox_repository import Claim
from marketplace.delivery.schemas import DocumentRef, Envelope, StoredRoute
from marketplace.documents.schemas import purged_text
from marketplace.objectstore import (
    ObjectCorrupt,
    ObjectMissing,
    ObjectStore,
    StoreUnavailable,
)

if TYPE_CHECKING:
    from marketplace.delivery.engine import DeliveryEngine

log = logging.getLogger(__name__)
_envelope = msgspec.json.Decoder(Envelope)


class Refused(Exception):
    """Internal: the submission cannot be built now. ``Rejected`` when a
    document is gone or altered (no retry brings it back), ``Deferred`` when
    the document store is unavailable (the bytes are safe, try again later)."""

    def __init__(self, result: Rejected | Deferred) -> None:
        super().__init__(result.reason)
        self.result = result


@dataclass(frozen=True)
class Job:
    claim: Claim
    route: StoredRoute | None
    envelope: Envelope | None
    endpoint: str
    refusal: Rejected | None


async def load(db: Database, claimed: Claim) -> Job:
    async with db.read() as conn:
        route = await repository.route(conn, claimed.route_id)
        raw = await repository.envelope(conn, claimed.submission_id)
        row = await repository.submission(conn, claimed.submission_id)
    envelope = _envelope.decode(raw) if raw is not None else None
    if route is None or envelope is None or row is None:
        refusal = Rejected(reason="Route oder Einreichung fehlt.")
        return Job(claimed, route, envelope, route.endpoint if route else "", refusal)
    reason = rules.violation(
        route.environment,
        claimed.route_environment,
        test=envelope.test,
        claimed_test=claimed.test,
        probe=claimed.probe,
        source=row["source"],
    )
    if reason is not None:
        log.error("outbox %d refused before delivery: %s", claimed.id, reason)
    elif row["body_purged_at"] is not None:  # retention deleted its documents
        reason = purged_text(row["body_purged_at"])
    checked = Rejected(reason=reason) if reason else None
    return Job(claimed, route, envelope, route.endpoint, checked)


async def materialise(documents: ObjectStore, job: Job) -> Submission:
    """The submission with its document bytes from the store, each checked
    against its SHA-256 (one submission's documents in memory at a time)."""
    assert job.envelope is not None
    try:
        loaded = tuple([await _load(documents, ref) for ref in job.envelope.documents])
    except (ObjectMissing, ObjectCorrupt) as exc:
        raise Refused(Rejected(reason=exc.detail)) from exc
    except StoreUnavailable as exc:
        raise Refused(Deferred(retry_after=0, reason=exc.detail)) from exc
    return as_submission(job.envelope, job.claim.idempotency_key, loaded)


async def _load(documents: ObjectStore, ref: DocumentRef) -> Document:
    return Document(
        document_id=ref.document_id,
        filename=ref.filename,
        media_type=ref.media_type,
        sha256=ref.sha256,
        size=ref.size,
        content=await documents.get(ref.location, sha256=ref.sha256),
    )


def as_submission(
    envelope: Envelope, key: str, documents: tuple[Document, ...] | None = None
) -> Submission:
    """The connector's view; without ``documents`` the bytes are left empty (for
    the transfer log, which reads identifiers, sizes and checksums only)."""
    if documents is None:
        documents = tuple(
            Document(
                document_id=ref.document_id,
                filename=ref.filename,
                media_type=ref.media_type,
                sha256=ref.sha256,
                size=ref.size,
                content=b"",
            )
            for ref in envelope.documents
        )
    return Submission(
        submission_id=envelope.submission_id,
        idempotency_key=key,
        test=envelope.test,
        metadata=envelope.metadata,
        data=envelope.data,
        documents=documents,
        transfer_note=envelope.transfer_note,
    )


async def record(
    db: Database, job: Job, result: DeliveryResult, engine: DeliveryEngine
) -> None:
    """The outbox row's next state and the transfer log entry, in one transaction."""
    claimed = job.claim
    now = engine.clock()
    async with db.transaction() as conn:
        match result:
            case Delivered(receipt=receipt):
                await outbox_repository.mark_delivered(
                    conn, claimed.id, msgspec.json.encode(receipt), now
                )
            case Rejected(reason=reason):
                await outbox_repository.mark_dead(conn, claimed, reason, now)
            case Deferred(reason=reason, retry_after=retry_after):
                given_up = _given_up(claimed, now, engine)
                if given_up:
                    await outbox_repository.mark_dead(
                        conn, claimed, f"{given_up}: {reason}", now
                    )
                else:
                    wait = engine.backoff.delay(claimed.attempts, retry_after)
                    await outbox_repository.reschedule(
                        conn, claimed, now + wait, reason
                    )
        if job.envelope is not None and job.route is not None:
            entry = entry_for(
                as_submission(job.envelope, claimed.idempotency_key),
                result,
                receiver=job.route.name,
                connector=job.route.kind,
                purpose=purpose(job),
                at=datetime.now(UTC),
            )
            await repository.insert_log(conn, entry, claimed.id)
    log.info(
        "outbox %d (route %d) attempt %d: %s",
        claimed.id,
        claimed.route_id,
        claimed.attempts,
        type(result).__name__,
    )


def _given_up(claimed: Claim, now: float, engine: DeliveryEngine) -> str | None:
    limits = engine.limits
    if claimed.attempts >= limits.max_attempts:
        return f"Aufgegeben nach {claimed.attempts} Versuchen"
    if now - claimed.created_at >= limits.max_age:
        return f"Aufgegeben nach {limits.max_age / 3600:.0f} Stunden"
    return None


def purpose(job: Job) -> str:
    if job.claim.probe:
        return "Testzustellung (Prüfung der Route)"
    assert job.envelope is not None
    if job.envelope.metadata.channel == "paper":
        return "Posteingang: gescannte Post an das Fachverfahren"
    return "Antragsbearbeitung: Online-Einreichung an das Fachverfahren"


async def give_back(db: Database, claimed: Claim) -> None:
    """Shutdown mid-delivery: the row goes back untried (best effort; otherwise
    its lease runs out)."""
    try:
        async with db.transaction() as conn:
            await outbox_repository.release(conn, claimed)
    except Exception:  # cleanup during shutdown
        log.exception("giving outbox %d back failed", claimed.id)
