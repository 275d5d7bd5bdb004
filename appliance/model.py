"""Value types shared by the appliance's stages.

The pipeline stages (capture -> clean -> barcodes -> separate -> ocr -> route -> pdf ->
outbox) hand these to each other. Fields are only ever added, with defaults, so the
JSON sidecars written by an older appliance still decode.
"""

from __future__ import annotations

import enum

import msgspec


class BarcodeFormat(enum.StrEnum):
    CODE128 = "code128"
    QR = "qr"
    DATAMATRIX = "datamatrix"
    PDF417 = "pdf417"
    PATCH_T = "patch_t"
    OTHER = "other"


class Barcode(msgspec.Struct, kw_only=True, frozen=True):
    """One barcode found on a page; ``page`` is 1-based within the batch."""

    page: int
    format: BarcodeFormat
    text: str
    reader: str = ""  # "zxing-cpp" or "pyzbar"


class RoutingInput(msgspec.Struct, kw_only=True, frozen=True):
    """What the routing stage sees of one separated document."""

    text: str
    barcodes: list[Barcode] = []
    page_count: int = 1


class RoutingDecision(msgspec.Struct, kw_only=True, frozen=True):
    """Where a document goes, how sure the appliance is, and why.

    ``needs_review`` documents wait for a person instead of being delivered.
    ``keep_original`` marks mail on the negative list ("Original an Fachamt").
    ``id_copy`` marks an enclosed copy of an ID card (machine-readable zone found):
    never routed automatically.
    """

    office: str | None
    leika_key: str | None = None
    route: str | None = None
    confidence: float = 0.0
    method: str = "none"  # barcode | file_reference | keyword | classifier | manual
    reason: str = ""
    needs_review: bool = True
    keep_original: bool = False
    id_copy: bool = False
