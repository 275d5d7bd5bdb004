"""The identified submission: who was identified, how, and the kept attributes.

It travels with the scanned batch to the Fachverfahren: ``attach`` writes it as a
JSON sidecar into the batch's folder (``eid/identified-submission.json``) and
writes one transfer-log entry per attribute. The outbox and the connectors read
it with ``load``.
"""

from __future__ import annotations

import enum
import os
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

import msgspec

from appliance.eid.attributes import KeptAttribute, ServiceProfile
from appliance.eid.errors import InvalidInput
from appliance.eid.transferlog import TransferLog, TransferLogEntry

SIDECAR = Path("eid") / "identified-submission.json"


class Method(enum.StrEnum):
    EID_ONLINE = "eid_online"  # PIN, eID server with authorization certificate (§18)
    ON_SITE = "vor_ort"  # CAN, card present, on-site reading certificate (§18a)


class Level(enum.StrEnum):
    """eIDAS level of assurance recorded with the submission."""

    HIGH = "hoch"
    SUBSTANTIAL = "substanziell"


# The German eID is notified at level "high" (eIDAS). On-site reading is recorded
# one level lower: the appliance cannot tell whether the photo was compared.
LEVELS: dict[Method, Level] = {
    Method.EID_ONLINE: Level.HIGH,
    Method.ON_SITE: Level.SUBSTANTIAL,
}


class IdentifiedSubmission(msgspec.Struct, kw_only=True, frozen=True):
    id: str
    batch_id: str
    service: str
    recipient: str
    purpose: str
    legal_basis: str
    method: Method
    level: Level
    identified_at: datetime
    operator: str
    attributes: list[KeptAttribute]
    schriftformersatz: bool = True  # eID proof of identity replaces a signature


def build(
    *,
    batch_id: str,
    profile: ServiceProfile,
    method: Method,
    operator: str,
    attributes: Sequence[KeptAttribute],
    now: datetime | None = None,
) -> IdentifiedSubmission:
    return IdentifiedSubmission(
        id=uuid.uuid4().hex,
        batch_id=batch_id,
        service=profile.id,
        recipient=profile.recipient,
        purpose=profile.purpose,
        legal_basis=profile.legal_basis,
        method=method,
        level=LEVELS[method],
        identified_at=now or datetime.now(UTC),
        operator=operator,
        attributes=list(attributes),
    )


def transfer_entries(submission: IdentifiedSubmission) -> list[TransferLogEntry]:
    return [
        TransferLogEntry(
            at=submission.identified_at,
            submission_id=submission.id,
            batch_id=submission.batch_id,
            attribute=attribute.name,
            recipient=submission.recipient,
            purpose=submission.purpose,
            legal_basis=submission.legal_basis,
        )
        for attribute in submission.attributes
    ]


def attach(batch_dir: Path, submission: IdentifiedSubmission, log: TransferLog) -> Path:
    """Write the sidecar (atomically, never over another one) and log the transfer."""
    if not batch_dir.is_dir():
        raise InvalidInput(f"Den Stapel {submission.batch_id} gibt es nicht (mehr).")
    target = batch_dir / SIDECAR
    if target.exists():
        raise InvalidInput(
            f"Zum Stapel {submission.batch_id} gehört schon eine Identifizierung. "
            "Bitte einen neuen Stapel beginnen."
        )
    target.parent.mkdir(exist_ok=True)
    partial = target.with_suffix(".json.partial")
    partial.write_bytes(msgspec.json.format(msgspec.json.encode(submission)))
    with partial.open("rb") as handle:
        os.fsync(handle.fileno())
    log.record(transfer_entries(submission))
    os.replace(partial, target)
    return target


def load(batch_dir: Path) -> IdentifiedSubmission | None:
    """The batch's identified submission, or None when nobody was identified."""
    target = batch_dir / SIDECAR
    if not target.exists():
        return None
    return msgspec.json.decode(target.read_bytes(), type=IdentifiedSubmission)
