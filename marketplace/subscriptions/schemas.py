"""Subscription wire types (Open Service Broker style provisioning)."""

from __future__ import annotations

import enum
from typing import Annotated

import msgspec
from msgspec import Meta

from marketplace.params import MAX_ID

SUBSCRIPTION_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9-]{2,63}$"
Url = Annotated[str, Meta(pattern=r"^(https?|file)://\S+$", max_length=500)]
Fachverfahren = Annotated[str, Meta(min_length=1, max_length=200)]


class Environment(enum.StrEnum):
    TEST = "test"
    PRODUCTION = "production"


ENVIRONMENT_LABELS = {Environment.TEST: "Test", Environment.PRODUCTION: "Produktion"}


class SubscriptionState(enum.StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


class SubscriptionIn(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """``PUT /subscriptions/{id}``: creating twice with the same body is harmless."""

    contract_id: Annotated[int, Meta(ge=1, le=MAX_ID)]
    environment: Environment
    endpoint_url: Url
    fachverfahren: Fachverfahren


class SubscriptionSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    """What a municipality may change while a subscription runs."""

    endpoint_url: Url
    fachverfahren: Fachverfahren


class Subscription(msgspec.Struct, kw_only=True, frozen=True):
    """A municipality's use of one offer version; ``ends_at`` is the last day once
    the contract was terminated, ``ended_at`` when it actually ended."""

    id: str
    contract_id: int
    municipality_ags: str
    provider_id: str
    offer_id: int
    offer_version_id: int
    environment: Environment
    endpoint_url: str
    fachverfahren: str
    state: SubscriptionState
    created_at: str
    updated_at: str
    ends_at: str | None
    ended_at: str | None
