"""Federation wire types: feed entries (a tagged union that can grow), the signed
envelopes around them, peers, incidents and the cross-node contract messages.

Entries evolve like outbox messages: a new field always gets a default and a
field's type never changes, so an older node still decodes a newer node's entry
(unknown fields are ignored on decoding; only operator input refuses them).
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from msgspec import Meta

from marketplace.costs.schemas import CostModel

NodeName = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]
BaseUrl = Annotated[str, Meta(pattern=r"^https?://[^\s]+$", max_length=300)]
PublicKeyHex = Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$")]


class ProviderData(msgspec.Struct, kw_only=True, frozen=True):
    id: str
    name: str
    kind: str
    land_code: str | None = None
    website: str | None = None


class ServiceData(msgspec.Struct, kw_only=True, frozen=True):
    leika_key: str
    title: str
    summary: str = ""
    ozg_bundle: str
    topic: str
    life_situations: list[str] = []
    maturity: int
    trust_level: str
    delivery_standard: str
    fachverfahren: list[str] = []
    has_test_instance: bool = False


class VersionData(msgspec.Struct, kw_only=True, frozen=True):
    id: int  # the version's id at its home node
    version: int
    title: str
    description: str
    legal_route: str
    cost_model: CostModel
    contract_template: str
    notice_period_months: int
    land_code: str | None = None
    published_at: str
    reference_annual_cents: int | None = None


class OfferVersionEntry(msgspec.Struct, kw_only=True, frozen=True, tag="offer_version"):
    """A published (immutable) offer version of the publishing node's provider."""

    node: str
    seq: int
    at: str  # informational: the home node's clock; ordering is by ``seq``
    offer_id: int  # at the home node
    provider: ProviderData
    service: ServiceData
    version: VersionData


class OfferWithdrawnEntry(
    msgspec.Struct, kw_only=True, frozen=True, tag="offer_withdrawn"
):
    """Tombstone: the offer left the catalog for good (versions stay readable)."""

    node: str
    seq: int
    at: str
    offer_id: int
    provider_id: str
    leika_key: str
    withdrawn_at: str


FeedEntry = OfferVersionEntry | OfferWithdrawnEntry


class FeedHead(msgspec.Struct, kw_only=True, frozen=True):
    """What the feed held when the page was served: a peer detects truncation
    (fewer entries than announced) and a rewound or replayed feed (a lower
    ``last_seq`` than it already applied)."""

    node: str
    last_seq: int
    at: str


class Signed(msgspec.Struct, kw_only=True, frozen=True):
    """Canonical msgspec JSON bytes and their Ed25519 signature (both base64)."""

    body: bytes
    signature: bytes


class FeedPage(msgspec.Struct, kw_only=True, frozen=True):
    node: str
    head: Signed  # a FeedHead
    entries: list[Signed]  # FeedEntry bodies, in sequence order


class NodeInfo(msgspec.Struct, kw_only=True, frozen=True):
    name: str
    base_url: str
    public_key: str


class PeerIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    name: NodeName
    base_url: BaseUrl
    public_key: PublicKeyHex


class PeerSwitch(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    enabled: bool


class Peer(msgspec.Struct, kw_only=True, frozen=True):
    name: str
    base_url: str
    public_key: str
    enabled: bool
    cursor: int
    entries_applied: int
    bytes_fetched: int
    added_at: str
    last_attempt_at: str | None
    last_success_at: str | None
    last_error: str | None
    stale: bool = False
    gaps: list[int] = []


class Incident(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    peer: str
    at: str
    kind: str
    seq: int | None
    detail: str


class SyncResult(msgspec.Struct, kw_only=True, frozen=True):
    """One pull from one peer: what arrived, what was applied, what was refused."""

    peer: str
    fetched: int = 0
    applied: int = 0
    rejected: int = 0
    bytes: int = 0
    cursor: int = 0
    error: str | None = None


class CatalogDigest(msgspec.Struct, kw_only=True, frozen=True):
    """A node-independent content hash of the whole catalog (own and replicated),
    equal on two nodes exactly when they hold the same offers and versions."""

    sha256: str
    offers: int
    by_node: dict[str, int]
