"""Barcodes on generated scans with the real zxing-cpp, pyzbar and the PATCH T
detector; patterns give codes a meaning, unmatched codes are only recorded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from appliance import samples
from appliance.barcodes import PyzbarReader, ZxingReader, classify, read_barcodes
from appliance.model import Barcode, BarcodeFormat
from appliance.patch import find_patch_t
from appliance.samples import Code
from appliance.settings import BarcodePatterns
from tests.appliance.letters import letter_file, separator_file

READERS = [ZxingReader(), PyzbarReader()]
ALL_KINDS = [
    Code(BarcodeFormat.CODE128, "ASN0004711"),
    Code(BarcodeFormat.QR, "AZ-32.1/2024-0815"),
    Code(BarcodeFormat.DATAMATRIX, "ROUTE-ORDNUNGSAMT"),
    Code(BarcodeFormat.PDF417, "Rücksendung Bürgeramt 4711"),
]


def _grey(path: Path) -> np.ndarray:  # type: ignore[type-arg]
    return np.asarray(Image.open(path).convert("L"))


@pytest.mark.parametrize("skew", [0.0, 3.0, -5.0])
def test_every_kind_is_read_on_a_skewed_noisy_scan(tmp_path: Path, skew: float) -> None:
    """GIVEN a 200 dpi letter with a Code 128, QR, DataMatrix and PDF417 (0.4 mm
    modules), scanned with noise and skew up to 5 degrees
    WHEN its barcodes are read
    THEN all four are found with their exact text and nothing else."""
    raw = letter_file(tmp_path, 1, dpi=200, skew=skew, codes=ALL_KINDS, module_mm=0.4)
    found, misses = read_barcodes(_grey(raw), 1, READERS, dpi=200)
    assert {(b.format, b.text) for b in found} == {
        (c.format, c.text) for c in ALL_KINDS
    }
    assert misses == 0


def test_a_letter_without_codes_yields_none(tmp_path: Path) -> None:
    """GIVEN a letter with a table and a stamp but no barcode
    WHEN its barcodes are read
    THEN nothing is found and nothing counts as a miss."""
    found, misses = read_barcodes(
        _grey(letter_file(tmp_path, 2, dpi=200)), 1, READERS, dpi=200
    )
    assert (found, misses) == ([], 0)


def test_patch_t_is_found_alone_and_other_patches_are_not(tmp_path: Path) -> None:
    """GIVEN a separator sheet with only a PATCH T, and the same bars as Patch 2 (WNNW)
    WHEN the detector looks at them, upright and turned by 90 degrees
    THEN PATCH T is found both ways and Patch 2 is not."""
    grey = _grey(separator_file(tmp_path, 3, patch=True, code=False))
    assert find_patch_t(grey, 150)
    assert find_patch_t(np.ascontiguousarray(np.rot90(grey)), 150)
    found, _ = read_barcodes(grey, 1, READERS, dpi=150)
    assert [(b.format, b.text, b.reader) for b in found] == [
        (BarcodeFormat.PATCH_T, "PATCH-T", "patch")
    ]
    patch2 = np.full((800, 600), 250, np.uint8)
    mm = 150 / 25.4
    x = 50.0
    for width, black in ((5, 1), (2, 0), (2, 1), (2, 0), (2, 1), (2, 0), (5, 1)):
        if black:
            patch2[200:600, round(x) : round(x + width * mm)] = 0
        x += width * mm
    assert not find_patch_t(patch2, 150)


def test_zxing_finds_at_least_what_pyzbar_finds(tmp_path: Path) -> None:
    """GIVEN six low-contrast skewed letters with Code 128 and QR codes
    WHEN each reader reads them alone
    THEN zxing-cpp (the primary reader) finds at least as many codes as pyzbar."""
    counts = {"zxing-cpp": 0, "pyzbar": 0}
    for seed in range(6):
        page, _ = samples.letter(seed, dpi=200, codes=ALL_KINDS[:2], module_mm=0.34)
        grey = np.asarray(
            samples.scan(page, seed, skew=4.0 - seed, contrast=0.55, noise=10)
        )
        for reader in READERS:
            counts[reader.name] += len(reader.read(grey).codes)
    assert counts["zxing-cpp"] >= counts["pyzbar"]
    assert counts["zxing-cpp"] == 12


def test_patterns_give_codes_a_meaning() -> None:
    """GIVEN the default patterns
    WHEN codes are classified
    THEN separators, file references, routing codes and archive serials are told apart
    and anything else has no meaning (never an error)."""
    patterns = BarcodePatterns()

    def meaning(fmt: BarcodeFormat, text: str) -> str | None:
        return classify(Barcode(page=1, format=fmt, text=text), patterns)

    assert meaning(BarcodeFormat.CODE128, "TRENNBLATT") == "separator"
    assert meaning(BarcodeFormat.PATCH_T, "PATCH-T") == "separator"
    assert meaning(BarcodeFormat.QR, "AZ-32.1/2024-0815") == "file_reference"
    assert meaning(BarcodeFormat.DATAMATRIX, "ROUTE-ORDNUNGSAMT") == "routing_code"
    assert meaning(BarcodeFormat.CODE128, "ASN0004711") == "archive_serial"
    assert meaning(BarcodeFormat.QR, "https://example.org/werbung") is None
    custom = BarcodePatterns(separator=r"^SEP$")
    assert (
        classify(Barcode(page=1, format=BarcodeFormat.QR, text="SEP"), custom)
        == "separator"
    )
