"""The durable outbox: documents committed on the appliance, delivered at least once
to the marketplace intake, with backoff and dead letters."""

from __future__ import annotations

from appliance.outbox.delivery import HttpIntake, Intake, deliver_due, run
from appliance.outbox.schemas import (
    Deferred,
    Delivered,
    DocumentMetadata,
    Entry,
    OutboxError,
    OutboxFull,
    OutboxSettings,
    Rejected,
    State,
)
from appliance.outbox.store import Outbox

__all__ = [
    "Deferred",
    "Delivered",
    "DocumentMetadata",
    "Entry",
    "HttpIntake",
    "Intake",
    "Outbox",
    "OutboxError",
    "OutboxFull",
    "OutboxSettings",
    "Rejected",
    "State",
    "deliver_due",
    "run",
]
