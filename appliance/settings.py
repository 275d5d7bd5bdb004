"""Typed settings of the scanning pipeline, decoded once at the edge (a TOML or JSON
settings file, or the command line) and passed to the pipeline in its job context."""

from __future__ import annotations

import re
from typing import Annotated, Literal

import msgspec
from msgspec import Meta


class ScanProfile(
    msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True
):
    """How pages are captured and archived.

    ``jpeg_quality`` 0 archives colour and grey pages losslessly (PNG); line art is
    always archived losslessly (CCITT G4). ``dropout`` leaves one ink colour (a form's
    printed boxes) out of the OCR copy of colour scans; the archive keeps it. Archived images keep the captured
    resolution and colour mode; only the OCR and barcode copies are binarised.
    """

    name: str = "Standard"
    resolution: Annotated[int, Meta(ge=100, le=600)] = 300
    mode: Literal["color", "gray", "lineart"] = "gray"
    paper: Literal["A4", "A5", "letter", "scan-area"] = "A4"  # scan-area: all of it
    source: Literal["flatbed", "adf", "adf-duplex"] = "adf"
    drop_blank_pages: bool = True
    fix_orientation: bool = True
    dropout: Literal["none", "red", "green", "blue"] = "none"  # colour left out of OCR
    jpeg_quality: Annotated[int, Meta(ge=0, le=100)] = 85


class BarcodePatterns(
    msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True
):
    """Regular expressions (Python syntax) that give found barcodes a meaning.

    A barcode that matches none of them is recorded as an anomaly, never an error.
    """

    separator: str = r"^(TRENNBLATT|PATCH-T)$"
    file_reference: str = r"^AZ[-: ].+"
    routing_code: str = r"^ROUTE[-: ].+"
    archive_serial: str = r"^ASN\d{6,}$"

    def __post_init__(self) -> None:
        # A broken expression is refused when the settings are read, not on the
        # first page of a batch (msgspec turns the ValueError into its own error).
        for meaning in (
            "separator",
            "file_reference",
            "routing_code",
            "archive_serial",
        ):
            try:
                re.compile(getattr(self, meaning))
            except re.error as exc:
                raise ValueError(
                    f"barcodes.{meaning}: ungültiger regulärer Ausdruck ({exc})"
                ) from exc


class Separation(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """How a batch is split into documents; rules combine."""

    separator_sheets: bool = True
    keep_separator_pages: bool = False
    new_document_on: Literal["none", "file_reference", "routing_code"] = "none"
    blank_sheet: bool = False
    max_pages: Annotated[int, Meta(ge=1)] | None = None


class PipelineSettings(
    msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True
):
    appliance_id: str = "scanstation-1"
    operator: str = "unbekannt"
    profile: ScanProfile = ScanProfile()
    barcodes: BarcodePatterns = BarcodePatterns()
    separation: Separation = Separation()
    ocr_language: str = "deu"
    ocr_workers: Annotated[int, Meta(ge=0, le=64)] = 0  # 0: one per CPU core
    ocr_timeout_seconds: Annotated[float, Meta(gt=0)] = 300.0
    max_megapixels: Annotated[int, Meta(ge=1)] = 150
    # a batch stops (``appliance.space.DiskFull``) rather than leave less free
    min_free_bytes: Annotated[int, Meta(ge=0)] = 64 * 1024 * 1024
    low_confidence: Annotated[float, Meta(ge=0, le=100)] = 60.0
    keep_work: bool = False
