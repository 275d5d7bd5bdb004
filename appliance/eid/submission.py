"""The identified submission: who was identified, how, and the kept attributes.

It travels with the scanned batch to the Fachverfahren: ``attach`` writes it as a
JSON sidecar into the batch's folder (``eid/identified-submission.json``) and
writes one transfer-log entry per attribute. The outbox and the connectors read
it with ``load``.
"""

from __future__ import annotations

import asyncio
import enum
import os
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import msgspec

from appliance.eid import transferlog
from appliance.eid.attributes import KeptAttribute, ServiceProfile
from appliance.eid.errors import InvalidInput
from appliance.eid.transferlog import TransferLogWriter

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


async def attach(
    batch_dir: Path,
    submission: IdentifiedSubmission,
    log: TransferLogWriter,
    *,
    environment: Literal["test", "production"] = "production",
) -> Path:
    """Write the sidecar (atomically, never over another one) and log the transfer:
    one entry per attribute in the connectors' transfer log. The sidecar appears
    only after every entry was written."""
    partial, target = await asyncio.to_thread(_prepare, batch_dir, submission)
    try:
        await transferlog.record(
            log, transferlog.entries_for(submission, environment=environment)
        )
    except BaseException:
        await asyncio.to_thread(partial.unlink, missing_ok=True)
        raise
    await asyncio.to_thread(os.replace, partial, target)
    return target


def _prepare(batch_dir: Path, submission: IdentifiedSubmission) -> tuple[Path, Path]:
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
    return partial, target


def load(batch_dir: Path) -> IdentifiedSubmission | None:
    """The batch's identified submission, or None when nobody was identified."""
    target = batch_dir / SIDECAR
    if not target.exists():
        return None
    return msgspec.json.decode(target.read_bytes(), type=IdentifiedSubmission)
