"""Typed outcomes of a delivery attempt, a health check and a setting description.

A connector never answers with a boolean. ``Delivered`` carries the receiver's
receipt (Quittung / Eingangsbestätigung); ``Deferred`` means "try again later, the
receiver may not have it yet"; ``Rejected`` means "the receiver (or the connector
on its behalf) refused this submission for a reason a human must look at".
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from msgspec import Meta


class Receipt(msgspec.Struct, kw_only=True, frozen=True):
    """The receiver's confirmation; ``reference`` is its own id for the delivery."""

    reference: str
    received_at: datetime
    duplicate: bool = False
    # Whatever the receiver returned as proof (a signed event, an 0403 message,
    # a manifest digest), kept verbatim for the marketplace's receipt store.
    evidence: str = ""


class Delivered(msgspec.Struct, kw_only=True, frozen=True, tag="delivered"):
    receipt: Receipt


class Deferred(msgspec.Struct, kw_only=True, frozen=True, tag="deferred"):
    retry_after: Annotated[float, Meta(ge=0)]
    reason: str


class Rejected(msgspec.Struct, kw_only=True, frozen=True, tag="rejected"):
    reason: str


DeliveryResult = Delivered | Deferred | Rejected


class Health(msgspec.Struct, kw_only=True, frozen=True):
    ok: bool
    detail: str


class SettingSpec(msgspec.Struct, kw_only=True, frozen=True):
    """One setting a route of this connector kind needs, for forms and docs."""

    name: str
    description: str
    required: bool = True
    secret: bool = False
    example: str = ""
