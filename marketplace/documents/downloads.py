"""A submission's document for the municipality's own download (web page
``/kommune/einreichungen/{id}/dokumente/{n}``): the bytes checked against their
SHA-256, or ``DocumentPurged`` with the date once retention deleted them."""

from __future__ import annotations

import msgspec

from marketplace.db import Database
from marketplace.delivery import repository as delivery
from marketplace.delivery.schemas import DocumentRef, Envelope
from marketplace.delivery.service import require_own_municipality
from marketplace.documents import repository
from marketplace.documents.schemas import DocumentPurged
from marketplace.errors import NotFound
from marketplace.identity.schemas import Principal, Role
from marketplace.identity.service import require_role
from marketplace.objectstore import ObjectStore


async def submission_document(
    db: Database,
    store: ObjectStore,
    principal: Principal | None,
    submission_id: str,
    index: int,
) -> tuple[DocumentRef, bytes]:
    require_role(principal, Role.MUNICIPALITY_BUYER, Role.OPERATOR)  # before lookups
    async with db.read() as conn:
        row = await delivery.submission(conn, submission_id)
        raw = await delivery.envelope(conn, submission_id)
        if row is None or raw is None:
            raise NotFound(f"Die Einreichung {submission_id} gibt es nicht.")
        require_own_municipality(principal, row["municipality_ags"])
        documents = msgspec.json.decode(raw, type=Envelope).documents
        if not 0 <= index < len(documents):
            raise NotFound(f"Die Einreichung hat kein Dokument Nr. {index + 1}.")
        ref = documents[index]
        purged_at = await repository.document_purged_at(
            conn, submission_id, ref.location
        )
    if purged_at is not None:
        raise DocumentPurged(purged_at)
    return ref, await store.get(ref.location, sha256=ref.sha256)
