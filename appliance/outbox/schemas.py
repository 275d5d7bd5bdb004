"""Outbox types: what is stored per document, delivery outcomes and settings."""

from __future__ import annotations

import enum
from typing import Annotated

import msgspec
from msgspec import Meta

from appliance.errors import ApplianceError


class OutboxError(ApplianceError):
    """The outbox cannot take or hand out a document; nothing was half written."""

    code = "outbox"


class OutboxFull(OutboxError):
    """No space left for the document: it stays where it was, free space and retry."""

    code = "outbox-full"


class State(enum.StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    DEAD = "dead"


class IdentifiedAttribute(msgspec.Struct, kw_only=True, frozen=True):
    name: str
    label: str = ""
    value: str | bool | dict[str, str]


class Identification(msgspec.Struct, kw_only=True, frozen=True):
    """The citizen identified at the eID desk for the document's batch: the level
    and only the attributes kept for the service (``appliance.eid.submission``)."""

    submission_id: str
    method: str
    level: str
    service: str
    recipient: str
    purpose: str = ""
    legal_basis: str = ""
    identified_at: str
    schriftformersatz: bool = True
    attributes: list[IdentifiedAttribute] = []


class DocumentMetadata(msgspec.Struct, kw_only=True, frozen=True):
    """Sent with the PDF to the marketplace intake; mirrors its ``DocumentMetadata``.

    Outbox rows outlive software updates: new fields only ever get defaults.
    """

    appliance_id: str
    filename: str
    page_count: int
    office: str | None = None
    route: str | None = None
    leika_key: str | None = None
    confidence: float = 0.0
    method: str = "none"
    keep_original: bool = False
    id_copy: bool = False
    batch_id: str = ""
    scanned_at: str = ""
    approved_by: str = ""
    identification: Identification | None = None


class Entry(msgspec.Struct, kw_only=True, frozen=True):
    """One document in the outbox."""

    sha256: str
    file: str
    metadata: DocumentMetadata
    state: State
    attempts: int
    next_attempt_at: float
    last_error: str
    committed_at: str
    delivered_at: str | None = None
    receipt_id: str | None = None


class Delivered(msgspec.Struct, kw_only=True, frozen=True):
    receipt_id: str
    duplicate: bool


class Deferred(msgspec.Struct, kw_only=True, frozen=True):
    """Try again later: the marketplace is down, busy or unreachable."""

    reason: str


class Rejected(msgspec.Struct, kw_only=True, frozen=True):
    """Trying again will not help: the document goes to the dead letters."""

    reason: str


Outcome = Delivered | Deferred | Rejected


class OutboxSettings(
    msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True
):
    """Where the outbox lives and how it delivers.

    Backoff after the n-th failed attempt: a random time between half and all of
    ``min(backoff_cap, backoff_base * 2**(n-1))`` seconds (exponential with jitter).
    After ``max_attempts`` failed attempts the document becomes a dead letter.
    """

    folder: str = "var/appliance/outbox"
    intake_url: str = "http://127.0.0.1:8000"
    token_file: str = "var/appliance/intake-token"  # noqa: S105 - a path, no secret
    # The enrolment's state folder (credential.json, device-key.pem): once the
    # station is enrolled there, deliveries are signed with its device key and the
    # token file is not needed.
    credential_dir: str = ""
    # The municipality the station delivers for ("" = whichever the credential has).
    municipality_ags: Annotated[str, Meta(pattern=r"^(\d{8})?$")] = ""
    timeout_seconds: Annotated[float, Meta(gt=0)] = 30.0
    backoff_base: Annotated[float, Meta(gt=0)] = 2.0
    backoff_cap: Annotated[float, Meta(gt=0)] = 900.0
    max_attempts: Annotated[int, Meta(ge=1)] = 20
    poll_seconds: Annotated[float, Meta(gt=0)] = 2.0
    # free space the outbox never fills, so deliveries can always be recorded
    reserve_bytes: Annotated[int, Meta(ge=0)] = 64 * 1024 * 1024
