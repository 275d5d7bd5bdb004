"""Contract wire types: requests, the contract with its signatures, the audit log."""

from __future__ import annotations

import enum
from typing import Annotated

import msgspec
from msgspec import Meta

from marketplace.costs.schemas import Quote
from marketplace.params import MAX_ID

Sha256 = Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$")]


class State(enum.StrEnum):
    DRAFT = "draft"
    OFFERED = "offered"
    SIGNED = "signed"
    COUNTERSIGNED = "countersigned"
    ACTIVE = "active"
    TERMINATED = "terminated"
    CANCELLED = "cancelled"


STATE_LABELS = {
    State.DRAFT: "Entwurf",
    State.OFFERED: "angeboten",
    State.SIGNED: "von der Kommune unterzeichnet",
    State.COUNTERSIGNED: "vom Anbieter gegengezeichnet",
    State.ACTIVE: "aktiv",
    State.TERMINATED: "gekündigt",
    State.CANCELLED: "abgebrochen",
}


class Action(enum.StrEnum):
    REQUEST = "request"
    OFFER = "offer"
    SIGN = "sign"
    COUNTERSIGN = "countersign"
    ACTIVATE = "activate"
    TERMINATE = "terminate"
    CANCEL = "cancel"


# What the action is called on a button and in a refusal ("„Anbieten“ ist nur ...").
ACTION_LABELS = {
    Action.REQUEST: "Anfordern",
    Action.OFFER: "Anbieten",
    Action.SIGN: "Unterzeichnen",
    Action.COUNTERSIGN: "Gegenzeichnen",
    Action.ACTIVATE: "Aktivieren",
    Action.TERMINATE: "Kündigen",
    Action.CANCEL: "Abbrechen",
}


class ContractRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A municipality asks for a contract for one published offer version."""

    offer_version_id: Annotated[int, Meta(ge=1, le=MAX_ID)]
    municipality_ags: Annotated[str, Meta(pattern=r"^[0-9]{8}$")] | None = None
    expected_cases: Annotated[int, Meta(ge=0, le=100_000_000)] | None = None


class SignRequest(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A signature covers exactly the text whose SHA-256 the signer saw."""

    text_sha256: Sha256


class Signature(msgspec.Struct, kw_only=True, frozen=True):
    party: str
    signer: str
    signed_at: str
    text_sha256: str


class Contract(msgspec.Struct, kw_only=True, frozen=True):
    id: int
    offer_version_id: int
    offer_id: int
    offer_title: str
    service_title: str
    provider_id: str
    provider_name: str
    municipality_ags: str
    municipality_name: str
    state: State
    text: str
    text_sha256: str
    annual_cents: int
    first_year_cents: int
    quote: Quote
    notice_period_months: int
    created_at: str
    updated_at: str
    active_since: str | None
    ends_at: str | None
    signatures: list[Signature]

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]


class ContractEvent(msgspec.Struct, kw_only=True, frozen=True):
    at: str
    actor: str
    actor_role: str
    action: str
    from_state: str | None
    to_state: str
    text_sha256: str


class SignatureCheck(msgspec.Struct, kw_only=True, frozen=True):
    party: str
    signer: str
    matches: bool


class Verification(msgspec.Struct, kw_only=True, frozen=True):
    """Recomputed SHA-256 of the stored text against what each party signed."""

    contract_id: int
    stored_sha256: str
    computed_sha256: str
    signatures: list[SignatureCheck]
    intact: bool


class ContractSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """Automated contract handling of a provider."""

    auto_offer: bool = False
    auto_countersign: bool = False
