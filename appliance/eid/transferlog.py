"""The transfer log for eID attributes: the connectors' log (``connectors.transferlog``).

It answers the citizen's question "who received what, when, and why" (seed 000:
Protokollfunktion; GDPR Art. 15) without holding the data itself. The appliance
writes the same ``TransferLogEntry`` through the same writers as the connectors
(``JsonLinesTransferLog``: append-only JSON Lines, fsync'ed per entry), so one
reader serves both. Every attribute passed on gets its own entry, with the
attribute's name in ``data_fields``, never its value; channel ``eid-schalter``,
connector ``appliance-eid``, the identification level, and the legal basis in
``purpose``. The outcome is ``delivered`` because the entry is written when the
operator confirms and the attributes are attached to the batch, whose documents
then carry them to the recipient (``receipt_reference`` = the submission id).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Literal

from connectors.transferlog import (
    JsonLinesTransferLog,
    TransferLogEntry,
    TransferLogWriter,
)

if TYPE_CHECKING:
    from appliance.eid.submission import IdentifiedSubmission

__all__ = ["JsonLinesTransferLog", "TransferLogEntry", "TransferLogWriter"]

CHANNEL = "eid-schalter"
CONNECTOR = "appliance-eid"


def entries_for(
    submission: IdentifiedSubmission,
    *,
    leika: str = "",
    environment: Literal["test", "production"] = "production",
) -> list[TransferLogEntry]:
    """One entry per kept attribute of ``submission``."""
    purpose = submission.purpose
    if submission.legal_basis:
        purpose = f"{purpose} (Rechtsgrundlage: {submission.legal_basis})"
    return [
        TransferLogEntry(
            entry_id=str(uuid.uuid4()),
            at=submission.identified_at,
            submission_id=submission.id,
            municipality_ags="",  # the marketplace knows it from the appliance
            service_leika=leika,
            purpose=purpose,
            receiver=submission.recipient,
            connector=CONNECTOR,
            environment=environment,
            channel=CHANNEL,
            identification_level=submission.level.value,
            data_fields=(attribute.name,),
            documents=(),
            outcome="delivered",
            receipt_reference=submission.id,
        )
        for attribute in submission.attributes
    ]


async def record(log: TransferLogWriter, entries: Iterable[TransferLogEntry]) -> None:
    """Write every entry; raises on the first that cannot be written."""
    for entry in entries:
        await log.write(entry)
