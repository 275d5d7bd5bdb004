"""Submissions into the outbox: online EfA submissions, test deliveries (probes)
and scanned mail from the intake.

A submission is stored once with its documents in the document store
(``marketplace.objectstore``), then gets one outbox row
per route that may carry it, all in one transaction. A submission no route may
carry is kept with the reason ("nicht zustellbar"), never dropped.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

import msgspec

from connectors.errors import InvalidSubmission
from connectors.submission import Document, Metadata, Submission, verify_documents
from marketplace.db import Connection, Database
from marketplace.delivery import outbox_repository, repository, rules
from marketplace.delivery.schemas import (
    DocumentRef,
    Envelope,
    StoredRoute,
    SubmissionIn,
    SubmissionOut,
)
from marketplace.delivery.service import own_subscription, stored_route
from marketplace.documents import repository as document_refs
from marketplace.documents.service import Body, restore_deleted
from marketplace.errors import Conflict, InvalidInput, NotFound
from marketplace.identity.schemas import Principal
from marketplace.objectstore import ObjectStore, blob_key
from marketplace.subscriptions.schemas import Subscription, SubscriptionState

PROBE_SUBJECT = "Testzustellung des EfA-Marktplatzes – bitte nicht bearbeiten"


def new_id() -> str:
    return f"d-{uuid.uuid4().hex[:24]}"


def _stamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


async def submit(
    db: Database,
    documents: ObjectStore,
    principal: Principal | None,
    subscription_id: str,
    data: SubmissionIn,
) -> tuple[SubmissionOut, bool]:
    """Store and enqueue an online submission: (submission, created)."""
    async with db.read() as conn:
        found = await own_subscription(
            conn, principal, subscription_id, provider_may=True
        )
        leika = await repository.subscription_service(conn, subscription_id)
        known = await _known(conn, subscription_id, data.submission_id)
    if known is not None:
        return known, False
    _check_online(found, leika, data)
    test = data.test or found.environment.value == "test"
    submission_id = new_id()
    stored_at = time.time()
    refs = await _store_documents(documents, data)
    envelope = Envelope(
        submission_id=submission_id,
        test=test,
        metadata=data.metadata,
        data=data.data,
        documents=refs,
    )
    async with db.transaction() as conn:
        known = await _known(conn, subscription_id, data.submission_id)
        if known is not None:
            return known, False
        routes = await repository.routes_of(conn, subscription_id)
        await enqueue_submission(
            conn, found, envelope, "api", data.submission_id, routes
        )
        bodies = [
            Body(blob_key(d.sha256), d.content, d.sha256, d.media_type)
            for d in data.documents
        ]
        await restore_deleted(conn, documents, bodies, stored_at)
        return await submission_out(conn, submission_id), True


async def probe(
    db: Database,
    documents: ObjectStore,
    principal: Principal | None,
    subscription_id: str,
    route_id: int,
) -> SubmissionOut:
    """One-click Testzustellung: a synthetic submission flagged ``test`` to exactly
    this route, which the receiver recognises by the connector's test flag."""
    async with db.read() as conn:
        found = await own_subscription(conn, principal, subscription_id)
        route = await stored_route(conn, subscription_id, route_id)
        leika = await repository.subscription_service(conn, subscription_id)
    if not route.enabled:
        raise Conflict("Die Route ist deaktiviert; bitte erst aktivieren.")
    submission_id = new_id()
    content = _probe_pdf(submission_id, route.name)
    document = Document.from_bytes(content, filename="Testzustellung.pdf")
    stored_at = time.time()
    location = await _store(documents, document, content)
    envelope = Envelope(
        submission_id=submission_id,
        test=True,
        metadata=Metadata(
            leika=leika or "99000000000000",
            ags=found.municipality_ags,
            office="Testzustellung",
            received_at=datetime.now(UTC),
            channel="online",
            identification_level="none",
            subject=PROBE_SUBJECT,
        ),
        data={"testzustellung": True, "route": route.name},
        documents=(document_ref(document, location),),
    )
    async with db.transaction() as conn:
        await enqueue_submission(
            conn, found, envelope, "probe", None, [route], probe=True
        )
        body = Body(location, content, document.sha256, document.media_type)
        await restore_deleted(conn, documents, [body], stored_at)
        return await submission_out(conn, submission_id)


async def submission(
    db: Database, principal: Principal | None, subscription_id: str, submission_id: str
) -> SubmissionOut:
    async with db.read() as conn:
        await own_subscription(conn, principal, subscription_id, provider_may=True)
        row = await repository.submission(conn, submission_id)
        if row is None or row["subscription_id"] != subscription_id:
            raise NotFound(f"Die Einreichung {submission_id} gibt es nicht.")
        return await submission_out(conn, submission_id)


async def enqueue_submission(
    conn: Connection,
    found: Subscription | None,
    envelope: Envelope,
    source: str,
    external_id: str | None,
    routes: list[StoredRoute],
    *,
    probe: bool = False,
    intake_sha256: str | None = None,
    reason: str | None = None,
) -> None:
    chosen = rules.carriers(routes, test=envelope.test, probe=probe)
    if reason is None and not chosen:
        reason = rules.no_route_reason(envelope.test, found.id if found else None)
    await repository.insert_submission(
        conn,
        {
            "id": envelope.submission_id,
            "subscription_id": found.id if found else None,
            "municipality_ags": envelope.metadata.ags,
            "external_id": external_id,
            "source": source,
            "channel": envelope.metadata.channel,
            "test": int(envelope.test),
            "service_leika": envelope.metadata.leika,
            "envelope": msgspec.json.encode(envelope),
            "payload_bytes": sum(d.size for d in envelope.documents),
            "undeliverable_reason": reason,
            "intake_sha256": intake_sha256,
            "created_at": _stamp(),
        },
    )
    await document_refs.insert_documents(
        conn, envelope.submission_id, envelope.documents
    )
    now = time.time()
    for route in chosen:
        await outbox_repository.insert_outbox(
            conn,
            submission_id=envelope.submission_id,
            route=route,
            test=envelope.test,
            probe=probe,
            now=now,
        )


async def _known(
    conn: Connection, subscription_id: str, external_id: str | None
) -> SubmissionOut | None:
    if external_id is None:
        return None
    row = await repository.submission_by_external(conn, subscription_id, external_id)
    return await submission_out(conn, row["id"]) if row else None


async def submission_out(conn: Connection, submission_id: str) -> SubmissionOut:
    row = await repository.submission(conn, submission_id)
    assert row is not None
    items = []
    if row["subscription_id"]:
        items = await outbox_repository.outbox_of(
            conn,
            row["subscription_id"],
            states=("pending", "in_flight", "delivered", "dead"),
            limit=100,
            submission_id=submission_id,
        )
    return msgspec.convert({**row, "outbox": items}, SubmissionOut, strict=False)


def _check_online(found: Subscription, leika: str | None, data: SubmissionIn) -> None:
    if found.state is SubscriptionState.ENDED:
        raise Conflict(f"Das Abonnement {found.id} ist beendet.")
    meta = data.metadata
    if meta.channel != "online":
        raise InvalidInput("Über diese Schnittstelle kommen nur Online-Einreichungen.")
    if meta.ags != found.municipality_ags:
        raise InvalidInput(
            f"AGS {meta.ags} passt nicht zum Abonnement ({found.municipality_ags})."
        )
    if leika is not None and meta.leika != leika:
        raise InvalidInput(
            f"Leistung {meta.leika} passt nicht zum Abonnement ({leika})."
        )
    probe = Submission(
        submission_id="check",
        idempotency_key="check",
        metadata=meta,
        data=data.data,
        documents=data.documents,
    )
    try:
        verify_documents(probe)
    except InvalidSubmission as exc:
        raise InvalidInput(str(exc)) from exc


async def _store_documents(
    documents: ObjectStore, data: SubmissionIn
) -> tuple[DocumentRef, ...]:
    """Every document in the store before anything is queued (a store failure
    refuses the submission with 503; nothing is queued, the sender retries)."""
    return tuple(
        [document_ref(d, await _store(documents, d, d.content)) for d in data.documents]
    )


async def _store(documents: ObjectStore, document: Document, content: bytes) -> str:
    key = blob_key(document.sha256)
    await documents.put(
        key, content, sha256=document.sha256, content_type=document.media_type
    )
    return key


def document_ref(document: Document, location: str) -> DocumentRef:
    return DocumentRef(
        document_id=document.document_id,
        filename=document.filename,
        media_type=document.media_type,
        sha256=document.sha256,
        size=document.size,
        location=location,
    )


def _probe_pdf(submission_id: str, route_name: str) -> bytes:
    """A small, recognisable stand-in document (no personal data)."""
    text = f"Testzustellung {submission_id} an Route {route_name}".encode()
    return b"%PDF-1.7\n% EfA-Marktplatz Testzustellung\n% " + text + b"\n%%EOF\n"
