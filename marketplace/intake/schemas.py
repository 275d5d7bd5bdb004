"""Intake types: a scanned document as an appliance sends it, and the receipt."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

SHA256_PATTERN = r"^[0-9a-f]{64}$"
Sha256 = Annotated[str, Meta(pattern=SHA256_PATTERN)]
ShortText = Annotated[str, Meta(min_length=1, max_length=200)]


class IdentifiedAttribute(
    msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True
):
    """One eID attribute the service asked for (AusweisApp access-right name);
    verifications are yes/no, an address has street, zipCode, city, country."""

    name: Annotated[str, Meta(pattern=r"^[A-Za-z]{2,40}$")]
    label: Annotated[str, Meta(max_length=120)] = ""
    value: Annotated[str, Meta(max_length=500)] | bool | dict[str, str]


class Identification(
    msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True
):
    """The citizen identified with the eID card at the appliance for this batch:
    the identification level and only the attributes kept for the service."""

    submission_id: Annotated[str, Meta(pattern=r"^[0-9a-f]{32}$")]
    method: Literal["eid_online", "vor_ort"]
    level: Literal["hoch", "substanziell"]
    service: ShortText
    recipient: ShortText
    purpose: Annotated[str, Meta(max_length=500)] = ""
    legal_basis: Annotated[str, Meta(max_length=200)] = ""
    identified_at: Annotated[str, Meta(max_length=40)]
    schriftformersatz: bool = True
    attributes: Annotated[list[IdentifiedAttribute], Meta(max_length=30)] = []


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
    identification: Identification | None = None


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
