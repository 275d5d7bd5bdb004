"""The JSON sidecar written beside each PDF/A: pages, barcodes, routing decision and
confidence, OCR text per page, and checksums. It is for machines downstream (the
outbox, a DMS import); the signed truth is the Transfervermerk inside the PDF."""

from __future__ import annotations

from pathlib import Path

import msgspec

from appliance.eid.idcopy import COPY_MARK
from appliance.model import Barcode, RoutingDecision
from appliance.pages import Anomaly, Document
from appliance.transfer import QualityCheck


class SidecarPage(msgspec.Struct, kw_only=True, frozen=True):
    number: int
    batch_page: int
    source: str
    raw_sha256: str
    text: str
    confidence: float | None
    skew_degrees: float
    rotated_degrees: int


class Sidecar(msgspec.Struct, kw_only=True, frozen=True):
    version: int = 1
    document_id: str
    batch_id: str
    appliance_id: str
    pdf_file: str
    pdf_sha256: str
    page_count: int
    pages: list[SidecarPage]
    barcodes: list[Barcode]
    routing: RoutingDecision
    anomalies: list[Anomaly]
    quality_check: QualityCheck
    text: str
    marking: str = ""  # "Kopie eines Ausweisdokuments" for an enclosed ID copy


def build(
    document: Document,
    *,
    document_id: str,
    batch_id: str,
    appliance_id: str,
    pdf_path: Path,
    pdf_sha256: str,
    routing: RoutingDecision,
    quality: QualityCheck,
) -> Sidecar:
    pages = [
        SidecarPage(
            number=i,
            batch_page=p.number,
            source=p.source,
            raw_sha256=p.raw_sha256,
            text=p.text,
            confidence=p.confidence,
            skew_degrees=p.skew_degrees,
            rotated_degrees=p.rotated_degrees,
        )
        for i, p in enumerate(document.pages, start=1)
    ]
    return Sidecar(
        document_id=document_id,
        batch_id=batch_id,
        appliance_id=appliance_id,
        pdf_file=pdf_path.name,
        pdf_sha256=pdf_sha256,
        page_count=len(pages),
        pages=pages,
        barcodes=[code for page in document.pages for code in page.barcodes],
        routing=routing,
        anomalies=document.anomalies,
        quality_check=quality,
        text="\n\n".join(p.text for p in document.pages if p.text),
        marking=COPY_MARK if routing.id_copy else "",
    )


def write(sidecar: Sidecar, path: Path) -> None:
    tmp = path.with_name(path.name + ".part")
    try:
        tmp.write_bytes(msgspec.json.format(msgspec.json.encode(sidecar), indent=2))
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
