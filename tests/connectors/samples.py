"""Sample submissions for the connector tests (invented people, fake PDFs)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from connectors.submission import Document, Metadata, Submission, TransferNote

# Personal data that must never show up in logs or the transfer log.
APPLICANT = "Erika Mustermann-Geheim"


def fake_pdf(size: int, seed: str = "") -> bytes:
    """Bytes that start like a PDF/A file; enough for transport tests."""
    head = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + seed.encode()
    return head + b"0" * max(0, size - len(head))


def submission(
    prefix: str = "t",
    *,
    test: bool = False,
    channel: str = "online",
    size: int = 2048,
    documents: int = 1,
) -> Submission:
    key = f"{prefix}-{uuid.uuid4().hex[:12]}"
    paper = channel == "paper"
    note = (
        TransferNote(
            operator="scan-07",
            scanned_at=datetime.now(UTC),
            device="Poststelle Pi 3 / SANE test",
            profile="300dpi-grau-duplex",
            quality_check_passed=True,
            anomalies=("Seite 2 leer entfernt",),
        )
        if paper
        else None
    )
    docs = tuple(
        Document.from_bytes(
            fake_pdf(size, f"{key}-{n}"), filename=f"Antrag {APPLICANT} {n}.pdf"
        )
        for n in range(documents)
    )
    return Submission(
        submission_id=f"sub-{key}",
        idempotency_key=key,
        test=test,
        metadata=Metadata(
            leika="99050012104000",
            ags="14713000",
            office="Ordnungsamt",
            received_at=datetime.now(UTC),
            channel="paper" if paper else "online",
            identification_level="none" if paper else "substantial",
            file_reference="32.11-2024/0815",
            subject="Gewerbeanmeldung",
        ),
        data=None
        if paper
        else {
            "antragsteller": {"name": APPLICANT, "geburtsdatum": "1970-01-01"},
            "gewerbe": "Imbiss",
        },
        documents=docs,
        transfer_note=note,
    )
