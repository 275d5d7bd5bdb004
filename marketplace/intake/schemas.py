"""Intake types: a scanned document as an appliance sends it, and the receipt."""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

SHA256_PATTERN = r"^[0-9a-f]{64}$"
Sha256 = Annotated[str, Meta(pattern=SHA256_PATTERN)]
ShortText = Annotated[str, Meta(min_length=1, max_length=200)]


class DocumentMetadata(
    msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True
):
    """What the appliance knows about a document: its routing decision and origin.

    New fields only ever get defaults, so older appliances keep delivering.
    """

    appliance_id: ShortText
    filename: Annotated[str, Meta(pattern=r"^[\w.() -]{1,200}\.pdf$")]
    page_count: Annotated[int, Meta(ge=1, le=10_000)]
    office: ShortText | None = None
    route: ShortText | None = None
    leika_key: Annotated[str, Meta(pattern=r"^\d{14}$")] | None = None
    confidence: Annotated[float, Meta(ge=0.0, le=1.0)] = 0.0
    method: Annotated[str, Meta(max_length=40)] = "none"
    keep_original: bool = False
    id_copy: bool = False
    batch_id: Annotated[str, Meta(max_length=100)] = ""
    scanned_at: Annotated[str, Meta(max_length=40)] = ""
    approved_by: Annotated[str, Meta(max_length=100)] = ""


class DocumentIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``content`` is the PDF (base64 in JSON); its SHA-256 must equal the key."""

    metadata: DocumentMetadata
    content: Annotated[bytes, Meta(min_length=5)]


class Receipt(msgspec.Struct, kw_only=True, frozen=True):
    """Proof that the marketplace holds the document.

    ``duplicate`` tells the appliance that this delivery was a repeat; the stored
    document and its receipt are the same as on the first delivery.
    """

    receipt_id: str
    sha256: str
    municipality_ags: str
    size_bytes: int
    received_at: str
    deliveries: int
    duplicate: bool = False


class StoredDocument(msgspec.Struct, kw_only=True, frozen=True):
    """A document as the municipality sees it in the intake list."""

    receipt_id: str
    sha256: str
    size_bytes: int
    received_at: str
    deliveries: int
    metadata: DocumentMetadata
