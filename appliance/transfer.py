"""The Transfervermerk (transfer note, BSI TR-03138 style) of one document.

It records who scanned, when, on which appliance, with which profile and software,
every page's SHA-256 at capture and the digest of its content in the PDF, the
anomalies and the quality-check result, and the scan log's chain head. The note is
signed with the appliance's Ed25519 key over its canonical JSON (keys sorted,
``signature`` empty), so a recipient can prove that nothing changed after capture.
"""

from __future__ import annotations

import msgspec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from appliance import integrity
from appliance.pages import Anomaly
from appliance.settings import ScanProfile

NOTE_FILENAME = "transfervermerk.json"


class PageRecord(msgspec.Struct, kw_only=True, frozen=True):
    number: int  # page number within the document, 1-based
    batch_page: int  # page number in capture order within the batch
    source: str
    raw_sha256: str  # of the raw page image at capture
    content_sha256: str  # of the page's content in the PDF (see pdf.page_digest)
    dpi: int
    skew_degrees: float = 0.0
    rotated_degrees: int = 0
    cropped: bool = False
    ocr_confidence: float | None = None


class QualityCheck(msgspec.Struct, kw_only=True, frozen=True):
    result: str  # "bestanden" | "prüfen"
    findings: list[str] = []


class Transfervermerk(msgspec.Struct, kw_only=True, frozen=True):
    version: int = 1
    document_id: str
    batch_id: str
    appliance_id: str
    operator: str
    captured_at: str
    created_at: str
    profile: ScanProfile
    software: dict[str, str]
    pages: list[PageRecord]
    anomalies: list[Anomaly] = []
    quality_check: QualityCheck
    scan_log_head: str
    public_key: str = ""
    signature: str = ""


def signed_bytes(note: Transfervermerk) -> bytes:
    """The exact bytes the signature covers."""
    return msgspec.json.encode(
        msgspec.structs.replace(note, signature=""), order="sorted"
    )


def sign_note(note: Transfervermerk, key: Ed25519PrivateKey) -> Transfervermerk:
    note = msgspec.structs.replace(note, public_key=integrity.public_key_text(key))
    return msgspec.structs.replace(
        note, signature=integrity.sign(key, signed_bytes(note))
    )


def encode(note: Transfervermerk) -> bytes:
    return msgspec.json.format(msgspec.json.encode(note, order="sorted"), indent=2)


def decode(data: bytes) -> Transfervermerk:
    return msgspec.json.decode(data, type=Transfervermerk)


def quality_check(
    pages: list[PageRecord], anomalies: list[Anomaly], low: float
) -> QualityCheck:
    findings = [
        f"Seite {p.number}: OCR-Konfidenz {p.ocr_confidence:.0f} unter {low:.0f}"
        for p in pages
        if p.ocr_confidence is not None and p.ocr_confidence < low
    ]
    findings += [
        f"Seite {p.number}: kein Text erkannt"
        for p in pages
        if p.ocr_confidence is None
    ]
    findings += [
        f"Barcode nicht lesbar (Seite {a.page})"
        for a in anomalies
        if a.kind == "barcode_miss"
    ]
    return QualityCheck(result="prüfen" if findings else "bestanden", findings=findings)
