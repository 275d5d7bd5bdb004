"""Wire types of the delivery context: routes, submissions, outbox, transfer log."""

from __future__ import annotations

import enum
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from connectors.submission import Document, Identifier, Metadata, TransferNote

RouteName = Annotated[str, Meta(min_length=1, max_length=100)]
Kind = Literal["fitconnect", "xdomea", "webhook", "dropfolder"]
EnvironmentName = Literal["test", "production"]
SECRET_MASK = "********"  # noqa: S105 - the mask shown instead of secrets


class OutboxState(enum.StrEnum):
    PENDING = "pending"
    IN_FLIGHT = "in_flight"
    DELIVERED = "delivered"
    DEAD = "dead"


STATE_LABELS = {
    OutboxState.PENDING: "wartet",
    OutboxState.IN_FLIGHT: "wird zugestellt",
    OutboxState.DELIVERED: "zugestellt",
    OutboxState.DEAD: "unzustellbar",
}


class RouteIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``POST /subscriptions/{id}/routes``: where submissions of one environment go."""

    name: RouteName
    environment: EnvironmentName
    kind: Kind
    settings: dict[str, Any]
    enabled: bool = True


class RouteChange(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``PATCH``: environment and kind are fixed; a secret left out (or sent as the
    mask) keeps its stored value."""

    name: RouteName | None = None
    settings: dict[str, Any] | None = None
    enabled: bool | None = None


class Breaker(msgspec.Struct, kw_only=True, frozen=True):
    state: Literal["closed", "open", "half_open"]
    failures: int
    retry_at: float | None = None


class Route(msgspec.Struct, kw_only=True, frozen=True):
    """A route as shown: secret settings replaced by ``SECRET_MASK``."""

    id: int
    subscription_id: str
    name: str
    environment: EnvironmentName
    kind: Kind
    settings: dict[str, Any]
    endpoint: str
    enabled: bool
    created_at: str
    updated_at: str
    counts: dict[str, int] = {}
    breaker: Breaker | None = None


class StoredRoute(msgspec.Struct, kw_only=True, frozen=True):
    """A route with its real settings, for the engine only."""

    id: int
    subscription_id: str
    name: str
    environment: EnvironmentName
    kind: Kind
    settings: dict[str, Any]
    endpoint: str
    enabled: bool
    created_at: str
    updated_at: str


class SubmissionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``POST /subscriptions/{id}/submissions``: one online EfA submission.

    ``submission_id`` is the sender's own id; sending it again answers the stored
    submission (200) instead of a second one. Documents carry their bytes
    (base64 in JSON) and are stored on disk before anything is enqueued.
    """

    submission_id: Identifier | None = None
    test: bool = False
    metadata: Metadata
    data: dict[str, Any] | None = None
    documents: tuple[Document, ...] = ()


class DocumentRef(msgspec.Struct, kw_only=True, frozen=True):
    """A document of a stored submission; ``location`` is relative to the data dir."""

    document_id: str
    filename: str
    media_type: str
    sha256: str
    size: int
    location: str


class Envelope(msgspec.Struct, kw_only=True, frozen=True):
    """A stored submission without document bytes (evolves with defaults only)."""

    submission_id: str
    test: bool
    metadata: Metadata
    data: dict[str, Any] | None = None
    documents: tuple[DocumentRef, ...] = ()
    transfer_note: TransferNote | None = None


class OutboxItem(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    submission_id: str
    route_id: int
    route_name: str
    idempotency_key: str
    test: bool
    probe: bool
    state: OutboxState
    attempts: int
    created_at: float
    next_attempt_at: float
    last_reason: str | None
    receipt: dict[str, Any] | None
    finished_at: float | None


class SubmissionOut(msgspec.Struct, kw_only=True, frozen=True):
    id: str
    subscription_id: str | None
    municipality_ags: str
    external_id: str | None
    source: str
    channel: str
    test: bool
    created_at: str
    undeliverable_reason: str | None
    outbox: list[OutboxItem] = []


class TransferLogRow(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    entry_id: str
    at: str
    submission_id: str
    outbox_id: int
    municipality_ags: str
    service_leika: str
    purpose: str
    receiver: str
    connector: str
    environment: str
    channel: str
    identification_level: str
    data_fields: list[str]
    documents: list[dict[str, Any]]
    outcome: str
    receipt_reference: str
    reason: str


class TransferLogPage(msgspec.Struct, kw_only=True, frozen=True):
    entries: list[TransferLogRow]
    next_after: int | None
