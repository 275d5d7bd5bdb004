"""What the stages hand each other about pages, documents and a batch.

A ``Page`` is a value that each stage replaces with an enriched copy
(``msgspec.structs.replace``); images themselves stay in files in the job's work
folder, so a 200-page batch never sits in memory.
"""

from __future__ import annotations

import msgspec

from appliance.model import Barcode, RoutingDecision


class Page(msgspec.Struct, kw_only=True, frozen=True):
    number: int  # 1-based, in capture order within the batch
    source: str  # file name (and page within it) or scanner device
    raw_path: str
    raw_sha256: str
    dpi: int
    width: int = 0
    height: int = 0
    mode: str = "L"  # Pillow mode of the archived image: "1", "L" or "RGB"
    # cleanup
    archive_path: str = ""
    binary_path: str = ""
    blank: bool = False
    skew_degrees: float = 0.0
    rotated_degrees: int = 0
    cropped: bool = False
    # barcodes
    barcodes: list[Barcode] = []
    barcode_misses: int = 0
    separator: bool = False
    # ocr
    text: str = ""
    confidence: float | None = None
    text_layer_path: str = ""
    zone_format: str = ""  # machine-readable zone with valid check digits ("TD1")
    # areas blacked out on an enclosed ID copy ("can", "photo"); the archive image
    # is then the redacted one, ``raw_sha256`` still the capture's
    redacted: list[str] = []


class Anomaly(msgspec.Struct, kw_only=True, frozen=True):
    """Something the Transfervermerk must tell a recipient about."""

    kind: str  # blank_page_dropped | separator_dropped | barcode_unmatched |
    # barcode_miss | low_confidence | input_rejected | scanner_stop | rescan |
    # id_copy | redacted
    page: int | None = None
    detail: str = ""


class Rejected(msgspec.Struct, kw_only=True, frozen=True):
    """An input that produced no pages, with the German reason."""

    source: str
    code: str
    message: str


class Document(msgspec.Struct, kw_only=True, frozen=True):
    index: int  # 1-based within the batch
    pages: list[Page]
    anomalies: list[Anomaly] = []


class DocumentResult(msgspec.Struct, kw_only=True, frozen=True):
    document_id: str
    index: int
    pdf_path: str
    sidecar_path: str
    sha256: str  # of the PDF file
    page_numbers: list[int]
    decision: RoutingDecision
    text: str = ""


class BatchResult(msgspec.Struct, kw_only=True, frozen=True):
    """The outcome of a batch. Pages are counted so nothing can go missing unseen:
    ``pages_captured == pages_in_documents + pages_dropped``."""

    batch_id: str
    documents: list[DocumentResult]
    rejected: list[Rejected]
    anomalies: list[Anomaly]
    pages_captured: int
    pages_in_documents: int
    pages_dropped: int
