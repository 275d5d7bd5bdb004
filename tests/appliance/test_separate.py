"""Separation rules on page values (no images needed): every captured page ends up in
a document or is recorded as dropped."""

from __future__ import annotations

import pytest

from appliance.model import Barcode, BarcodeFormat
from appliance.pages import Page
from appliance.separate import separate
from appliance.settings import PipelineSettings, ScanProfile, Separation


def _page(number: int, *codes: str, blank: bool = False, patch: bool = False) -> Page:
    barcodes = [
        Barcode(page=number, format=BarcodeFormat.CODE128, text=c) for c in codes
    ]
    if patch:
        barcodes.append(
            Barcode(page=number, format=BarcodeFormat.PATCH_T, text="PATCH-T")
        )
    return Page(
        number=number,
        source="t",
        raw_path="",
        raw_sha256="",
        dpi=150,
        blank=blank,
        barcodes=barcodes,
    )


def _split(pages: list[Page], settings: PipelineSettings) -> list[list[int]]:
    documents, loose = separate(pages, settings)
    dropped = [
        a.page for d in documents for a in d.anomalies if a.kind.endswith("dropped")
    ]
    dropped += [a.page for a in loose if a.kind.endswith("dropped")]
    kept = [p.number for d in documents for p in d.pages]
    assert sorted(kept + dropped) == [p.number for p in pages], "a page went missing"
    return [[p.number for p in d.pages] for d in documents]


def test_separator_sheets_and_patch_t_split_and_are_dropped() -> None:
    """GIVEN pages 1-2, a TRENNBLATT, page 4, a PATCH T sheet, pages 6-7
    WHEN the batch is separated
    THEN three documents result and both separator sheets are recorded as dropped."""
    pages = [
        _page(1),
        _page(2),
        _page(3, "TRENNBLATT"),
        _page(4),
        _page(5, patch=True),
        _page(6),
        _page(7),
    ]
    assert _split(pages, PipelineSettings()) == [[1, 2], [4], [6, 7]]


def test_blank_backsides_are_dropped_and_recorded_on_their_document() -> None:
    """GIVEN a duplex batch whose backsides 2 and 4 are blank
    WHEN it is separated
    THEN one document of pages 1 and 3 results and it records both dropped pages."""
    pages = [_page(1), _page(2, blank=True), _page(3), _page(4, blank=True)]
    documents, _ = separate(pages, PipelineSettings())
    assert [[p.number for p in d.pages] for d in documents] == [[1, 3]]
    assert [(a.kind, a.page) for a in documents[0].anomalies] == [
        ("blank_page_dropped", 2),
        ("blank_page_dropped", 4),
    ]


def test_blank_pages_are_kept_when_the_profile_says_so() -> None:
    """GIVEN a profile that keeps blank pages
    WHEN a batch with a blank page is separated
    THEN the blank page stays in the document."""
    settings = PipelineSettings(profile=ScanProfile(drop_blank_pages=False))
    assert _split([_page(1), _page(2, blank=True), _page(3)], settings) == [[1, 2, 3]]


def test_blank_sheet_separates_when_configured() -> None:
    """GIVEN separation by blank sheet
    WHEN pages 1, blank, 3, 4, blank, blank, 7 are separated
    THEN documents [1], [3, 4], [7] result and no empty document."""
    settings = PipelineSettings(separation=Separation(blank_sheet=True))
    pages = [
        _page(1),
        _page(2, blank=True),
        _page(3),
        _page(4),
        _page(5, blank=True),
        _page(6, blank=True),
        _page(7),
    ]
    assert _split(pages, settings) == [[1], [3, 4], [7]]


@pytest.mark.parametrize(
    ("limit", "expected"), [(2, [[1, 2], [3, 4], [5]]), (5, [[1, 2, 3, 4, 5]])]
)
def test_maximum_page_count(limit: int, expected: list[list[int]]) -> None:
    """GIVEN a maximum page count
    WHEN five pages are separated
    THEN no document is longer than the maximum."""
    settings = PipelineSettings(separation=Separation(max_pages=limit))
    assert _split([_page(n) for n in range(1, 6)], settings) == expected


def test_file_reference_barcode_starts_a_document() -> None:
    """GIVEN separation by file-reference barcode (pre-printed forms)
    WHEN pages carry an Aktenzeichen code on 1 and 3
    THEN each code starts a new document; unmatched codes are recorded, not fatal."""
    settings = PipelineSettings(separation=Separation(new_document_on="file_reference"))
    pages = [
        _page(1, "AZ-1/2024"),
        _page(2),
        _page(3, "AZ-2/2024"),
        _page(4, "WERBUNG-123"),
    ]
    documents, _ = separate(pages, settings)
    assert [[p.number for p in d.pages] for d in documents] == [[1, 2], [3, 4]]
    assert [(a.kind, a.page) for a in documents[1].anomalies] == [
        ("barcode_unmatched", 4)
    ]


def test_kept_separator_sheet_starts_the_next_document() -> None:
    """GIVEN separator sheets are to be kept
    WHEN a batch with a separator on page 2 is separated
    THEN the separator is the first page of the second document."""
    settings = PipelineSettings(separation=Separation(keep_separator_pages=True))
    assert _split([_page(1), _page(2, "TRENNBLATT"), _page(3)], settings) == [
        [1],
        [2, 3],
    ]
