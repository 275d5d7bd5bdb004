"""Scanned mail from the intake becomes a paper-channel submission.

Called by ``marketplace.intake.service.receive`` inside the transaction that
stores a new document, so the document and its delivery job are committed
together. The subscription is the municipality's running production
subscription of the service (LeiKa) the appliance routed the letter to; when
there is none, or more than one, or it has no active production route, the
letter is kept as "nicht zustellbar" with the reason and shown to the
municipality, never dropped.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from connectors.submission import (
    Document,
    IdentificationLevel,
    Metadata,
    TransferNote,
)
from marketplace.db import Connection
from marketplace.delivery import repository
from marketplace.delivery.enqueue import document_ref, enqueue_submission, new_id
from marketplace.delivery.schemas import Envelope
from marketplace.intake.schemas import DocumentMetadata
from marketplace.subscriptions import repository as subscriptions

# Stands in for the service of a letter the station could not assign.
UNKNOWN_LEIKA = "99000000000000"


async def scanned_document(
    conn: Connection,
    location: str,
    *,
    ags: str,
    sha256: str,
    size: int,
    metadata: DocumentMetadata,
    received_at: str,
) -> None:
    """Enqueue a newly received scanned document (or record why it cannot go);
    ``location`` is its key in the document store."""
    now = datetime.now(UTC)
    chosen, reason = await match(conn, ags, metadata.leika_key, now)
    found = await subscriptions.get(conn, chosen, now.date()) if chosen else None
    document = Document(
        document_id=f"scan-{sha256[:24]}",
        filename=metadata.filename,
        sha256=sha256,
        size=size,
        content=b"",
    )
    identified = metadata.identification
    envelope = Envelope(
        submission_id=new_id(),
        test=False,
        metadata=Metadata(
            leika=metadata.leika_key or UNKNOWN_LEIKA,
            ags=ags,
            office=metadata.office or "Posteingang",
            received_at=_moment(received_at, now),
            channel="paper",
            identification_level=_LEVELS[identified.level] if identified else "none",
            subject=f"Gescannte Post ({metadata.page_count} Seite(n))",
        ),
        data=_identification_data(metadata),
        documents=(document_ref(document, location),),
        transfer_note=_transfer_note(metadata, now),
    )
    routes = await repository.routes_of(conn, chosen) if chosen else []
    await enqueue_submission(
        conn,
        found,
        envelope,
        "intake",
        None,
        routes,
        intake_sha256=sha256,
        reason=reason,
    )


async def match(
    conn: Connection, ags: str, leika: str | None, now: datetime
) -> tuple[str | None, str | None]:
    """(subscription id, None) or (None, why the letter cannot be assigned)."""
    if leika is None or leika == UNKNOWN_LEIKA:
        return None, "Keine Leistung (LeiKa) erkannt; bitte an der Station zuordnen."
    running = await repository.running_subscriptions_for(conn, ags, leika, now.date())
    production = [sub_id for sub_id, env in running if env == "production"]
    if not production:
        return None, f"Kein laufendes Produktionsabonnement für Leistung {leika}."
    if len(production) > 1:
        return None, (
            f"Mehrere Produktionsabonnements für Leistung {leika} "
            f"({', '.join(production)}); die Zuordnung ist nicht eindeutig."
        )
    return production[0], None


_LEVELS: dict[str, IdentificationLevel] = {
    "hoch": "high",
    "substanziell": "substantial",
}


def _identification_data(metadata: DocumentMetadata) -> dict[str, Any] | None:
    """The eID identification done at the station, as structured data (the
    transfer log records only the field names)."""
    identified = metadata.identification
    if identified is None:
        return None
    attributes = {a.name: a.value for a in identified.attributes}
    return {
        "identifikation": {
            "verfahren": identified.method,
            "niveau": identified.level,
            "zeitpunkt": identified.identified_at,
            "schriftformersatz": identified.schriftformersatz,
            "merkmale": attributes,
        }
    }


def _moment(text: str, default: datetime) -> datetime:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return default


def _transfer_note(metadata: DocumentMetadata, now: datetime) -> TransferNote:
    """The Transfervermerk as far as the station's delivery tells it."""
    who = re.sub(
        r"[^A-Za-z0-9._:-]", "-", metadata.approved_by or metadata.appliance_id
    )
    operator = who if re.match(r"^[A-Za-z0-9]", who) and len(who) >= 3 else "station"
    return TransferNote(
        operator=operator[:128],
        scanned_at=_moment(metadata.scanned_at, now),
        device=metadata.appliance_id,
        profile=f"Stationsablauf ({metadata.method})",
        quality_check_passed=bool(metadata.approved_by),
        anomalies=("Transfervermerk aus den Einlieferungsdaten der Station",),
    )
