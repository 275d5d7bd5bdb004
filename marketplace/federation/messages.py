"""Wire types of cross-node contracts: what the buyer's node sends the provider's
node, what comes back, and the operator's and buyer's view of the exchange.

Messages between nodes travel as ``NodeMessage``: the sender's node name and a
``Signed`` body; the receiver looks the name up among its configured peers and
verifies the signature before decoding.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from marketplace.federation.schemas import Signed
from marketplace.params import MAX_ID


class NodeMessage(msgspec.Struct, kw_only=True, frozen=True):
    node: str
    signed: Signed


class MunicipalityData(msgspec.Struct, kw_only=True, frozen=True):
    ags: str
    name: str
    kind: str
    population: int
    population_as_of: str | None = None


class ContractRequestMsg(
    msgspec.Struct, kw_only=True, frozen=True, tag="contract_request"
):
    """A municipality of ``from_node`` signed the rendered text (its SHA-256)
    of a published version of ``to_node``'s offer."""

    request_id: str
    from_node: str
    to_node: str
    at: str
    offer_id: int  # at the provider's node
    version_id: int  # at the provider's node
    version: int
    municipality: MunicipalityData
    expected_cases: int | None = None
    text_sha256: str
    signer: str
    signed_at: str


class ContractConfirmMsg(
    msgspec.Struct, kw_only=True, frozen=True, tag="contract_confirm"
):
    """The buyer's node verified the countersignature and activated its contract."""

    request_id: str
    from_node: str
    to_node: str
    at: str
    text_sha256: str


StatusState = Literal["received", "countersigned", "confirmed", "rejected"]


class ContractStatusMsg(msgspec.Struct, kw_only=True, frozen=True):
    """The provider's node's answer, signed: where the request stands there."""

    request_id: str
    node: str
    state: StatusState
    text_sha256: str
    at: str
    contract_id: int | None = None
    countersigned_by: str | None = None
    countersigned_at: str | None = None
    reason: str | None = None


class RemoteContractIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """A buyer asks for a contract for a replicated offer version."""

    offer_version_id: Annotated[int, Meta(ge=1, le=MAX_ID)]
    expected_cases: Annotated[int, Meta(ge=0, le=100_000_000)] | None = None


class RemoteSign(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    text_sha256: Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$")]


class RemoteContract(msgspec.Struct, kw_only=True, frozen=True):
    request_id: str
    side: str
    peer: str
    contract_id: int | None
    state: str
    text_sha256: str
    reason: str | None
    attempts: int
    created_at: str
    updated_at: str


class UsageCount(msgspec.Struct, kw_only=True, frozen=True):
    leika_key: str
    land_code: str
    municipalities: int


class UsageReport(msgspec.Struct, kw_only=True, frozen=True):
    """How many of a node's own municipalities use each service, per Land
    (contracts in force that they concluded there): aggregated, non-personal."""

    node: str
    at: str
    counts: list[UsageCount] = []


class UsageOverview(msgspec.Struct, kw_only=True, frozen=True):
    leika_key: str
    service_title: str | None
    land_code: str
    municipalities: int
    by_node: dict[str, int]
