"""Intake rules: who may deliver, the hash must match the bytes, each document is
stored once per municipality however often it arrives."""

from __future__ import annotations

import asyncio
import hashlib
import time
from datetime import UTC, datetime

from marketplace.db import Database
from marketplace.delivery import intake_hook as delivery_hook
from marketplace.documents import repository as retention
from marketplace.documents.schemas import DocumentPurged
from marketplace.documents.service import Body, restore_deleted
from marketplace.errors import InvalidInput, NotFound, PermissionDenied
from marketplace.fleet.schemas import Device
from marketplace.fleet.service import require_device_for
from marketplace.identity.schemas import Principal, Role
from marketplace.identity.service import require_role
from marketplace.intake import repository
from marketplace.intake.schemas import DocumentIn, Receipt, StoredDocument
from marketplace.objectstore import ObjectStore, intake_key

# Hashing a large PDF blocks for milliseconds; above this size it runs in a thread.
_THREAD_HASH_BYTES = 256 * 1024


class Sender:
    """An authorised sender of scanned mail: which municipality it delivers for,
    and who it is (a municipality account or an enrolled station)."""

    def __init__(
        self, principal: Principal | None, ags: str, device: Device | None = None
    ) -> None:
        self.principal = principal
        self.ags = ags
        self.device = device


def authorise_sender(
    caller: Principal | Device | None, ags: str | None = None
) -> Sender:
    """The single place that decides who may deliver documents and for whom.

    An enrolled station (its signature already checked, revoked ones refused by
    ``marketplace.fleet.auth``) or the bearer token of a ``municipality_buyer``
    account, each for its own municipality only; ``ags``, when the sender names
    the municipality it delivers for, must be that one (else 403).
    """
    if isinstance(caller, Device):
        require_device_for(caller, ags or caller.municipality_ags)
        return Sender(None, caller.municipality_ags, caller)
    account = require_role(caller, Role.MUNICIPALITY_BUYER)
    assert account.municipality_ags is not None  # enforced by the users table
    if ags is not None and ags != account.municipality_ags:
        raise PermissionDenied(
            f"Dieses Konto darf nur für die eigene Kommune "
            f"({account.municipality_ags}) liefern."
        )
    return Sender(account, account.municipality_ags)


async def receive(
    db: Database,
    documents: ObjectStore,
    caller: Principal | Device | None,
    sha256: str,
    document: DocumentIn,
    *,
    ags: str | None = None,
) -> Receipt:
    """Store ``document`` under its hash, or count a repeated delivery.

    The body is in the document store before the row is committed; when the
    store fails (``StoreUnavailable``, 503) nothing is recorded and the
    appliance sends the document again later."""
    sender = authorise_sender(caller, ags)
    await _check_content(sha256, document.content)
    now = datetime.now(UTC).isoformat(timespec="milliseconds")
    key = intake_key(sender.ags, sha256)
    async with db.read() as conn:
        known = await repository.find(conn, sender.ags, sha256)
    stored_at = time.time()
    if known is None:
        await documents.put(
            key, document.content, sha256=sha256, content_type="application/pdf"
        )
    async with db.transaction() as conn:
        repeated = await repository.count_delivery(conn, sender.ags, sha256, now)
        if repeated is not None:
            return repeated
        stored = await repository.insert(
            conn,
            ags=sender.ags,
            sha256=sha256,
            receipt_id=f"EG-{sender.ags}-{sha256[:16]}",
            size_bytes=len(document.content),
            storage_path=key,
            metadata=document.metadata,
            sender_user_id=sender.principal.user_id if sender.principal else None,
            sender_appliance_id=sender.device.appliance_id if sender.device else None,
            now=now,
        )
        # Delivery into the Fachverfahren is committed together with the document.
        await delivery_hook.scanned_document(
            conn,
            key,
            ags=sender.ags,
            sha256=sha256,
            size=len(document.content),
            metadata=document.metadata,
            received_at=now,
        )
        body = Body(key, document.content, sha256, "application/pdf")
        await restore_deleted(conn, documents, [body], stored_at)
        return stored


async def receipt(db: Database, principal: Principal | None, sha256: str) -> Receipt:
    sender = authorise_sender(principal)
    async with db.read() as conn:
        found = await repository.find(conn, sender.ags, sha256)
    if found is None:
        raise NotFound("Ein Dokument mit dieser Prüfsumme ist nicht eingegangen.")
    return found


async def documents(
    db: Database, principal: Principal | None, limit: int
) -> list[StoredDocument]:
    sender = authorise_sender(principal)
    async with db.read() as conn:
        return await repository.listing(conn, sender.ags, limit)


async def content(
    db: Database, documents: ObjectStore, principal: Principal | None, sha256: str
) -> bytes:
    """The stored PDF, checked against its SHA-256 on the way out; a body
    deleted after delivery (retention) is ``DocumentPurged`` (410)."""
    sender = authorise_sender(principal)
    async with db.read() as conn:
        found = await repository.find(conn, sender.ags, sha256)
        purged_at = await retention.intake_purged_at(conn, sender.ags, sha256)
    if found is None:
        raise NotFound("Ein Dokument mit dieser Prüfsumme ist nicht eingegangen.")
    if purged_at is not None:
        raise DocumentPurged(purged_at)
    return await documents.get(intake_key(sender.ags, sha256), sha256=sha256)


async def _check_content(sha256: str, content: bytes) -> None:
    if len(content) > _THREAD_HASH_BYTES:
        actual = await asyncio.to_thread(_digest, content)
    else:
        actual = _digest(content)
    if actual != sha256:
        raise InvalidInput(
            "Die Prüfsumme passt nicht zum Inhalt: das Dokument wurde unterwegs "
            "verändert oder unvollständig übertragen.",
            expected=sha256,
            actual=actual,
        )
    if not content.startswith(b"%PDF-"):
        raise InvalidInput("Der Inhalt ist kein PDF-Dokument.")


def _digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
