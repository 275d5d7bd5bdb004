"""Barcode stage: Code 128, QR, DataMatrix and PDF417 with zxing-cpp first and pyzbar
as fallback, plus the Kodak PATCH T separator.

zxing-cpp finds far more codes on skewed, noisy, low-contrast scans (measured by
``benchmarks/appliance.py``), so it reads every page. Only when it located a symbol
it could not decode does the page get the slower retries: upscaled, slightly rotated,
and pyzbar. A symbol that stays unreadable is counted as a barcode miss.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import cv2
import zxingcpp
from numpy.typing import NDArray
from pyzbar import pyzbar

from appliance.model import Barcode, BarcodeFormat
from appliance.patch import find_patch_t
from appliance.settings import BarcodePatterns

Array = NDArray[Any]


class Reading:
    """What a reader reports for one image: decoded codes and undecodable symbols."""

    def __init__(self, codes: list[tuple[BarcodeFormat, str]], misses: int) -> None:
        self.codes = codes
        self.misses = misses


class BarcodeReader(Protocol):
    """Reads all barcodes in a grey image (2-D uint8 array).

    Must never raise for an image without codes; ``misses`` counts symbols the
    reader located but could not decode (0 when the reader cannot tell).
    """

    name: str

    def read(self, grey: Array) -> Reading: ...


_ZXING_FORMATS = {
    "Code128": BarcodeFormat.CODE128,
    "QRCode": BarcodeFormat.QR,
    "DataMatrix": BarcodeFormat.DATAMATRIX,
    "PDF417": BarcodeFormat.PDF417,
}
_WANTED = zxingcpp.barcode_formats_from_str("Code128,QRCode,DataMatrix,PDF417")


class ZxingReader:
    name = "zxing-cpp"

    def read(self, grey: Array) -> Reading:
        found = zxingcpp.read_barcodes(
            grey,
            formats=_WANTED,
            text_mode=zxingcpp.TextMode.Plain,
            return_errors=True,
        )
        valid = [b for b in found if b.valid]
        codes = [
            (_ZXING_FORMATS.get(b.format.name, BarcodeFormat.OTHER), b.text)
            for b in valid
        ]
        boxes = [_box(b.position) for b in valid]
        misses = [
            b
            for b in found
            if not b.valid and _plausible(b) and not _inside(_centre(b.position), boxes)
        ]
        return Reading(codes, len(misses))


def _box(position: Any) -> tuple[float, float, float, float]:
    points = [
        position.top_left,
        position.top_right,
        position.bottom_left,
        position.bottom_right,
    ]
    xs, ys = [p.x for p in points], [p.y for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _plausible(found: Any) -> bool:
    """A located but undecodable symbol that looks like one: square symbologies must
    be roughly square (a table's corners can pass for QR finder patterns)."""
    if found.format.name not in ("QRCode", "DataMatrix"):
        return True
    left, top, right, bottom = _box(found.position)
    width, height = right - left, bottom - top
    return bool(height > 0 and 0.6 <= width / height <= 1.67)


def _centre(position: Any) -> tuple[float, float]:
    left, top, right, bottom = _box(position)
    return (left + right) / 2, (top + bottom) / 2


def _inside(
    point: tuple[float, float], boxes: list[tuple[float, float, float, float]]
) -> bool:
    x, y = point
    return any(b[0] <= x <= b[2] and b[1] <= y <= b[3] for b in boxes)


_ZBAR_FORMATS = {
    "CODE128": BarcodeFormat.CODE128,
    "QRCODE": BarcodeFormat.QR,
    "PDF417": BarcodeFormat.PDF417,
}
_ZBAR_SYMBOLS = [
    pyzbar.ZBarSymbol.CODE128,
    pyzbar.ZBarSymbol.QRCODE,
    pyzbar.ZBarSymbol.PDF417,
]


class PyzbarReader:
    name = "pyzbar"

    def read(self, grey: Array) -> Reading:
        found = pyzbar.decode(grey, symbols=_ZBAR_SYMBOLS)
        codes = [
            (
                _ZBAR_FORMATS.get(d.type, BarcodeFormat.OTHER),
                d.data.decode("utf-8", "replace"),
            )
            for d in found
        ]
        return Reading(codes, 0)


READERS: dict[str, Callable[[], BarcodeReader]] = {
    "zxing-cpp": ZxingReader,
    "pyzbar": PyzbarReader,
}


def read_barcodes(
    grey: Array, page: int, readers: Sequence[BarcodeReader], *, dpi: int
) -> tuple[list[Barcode], int]:
    """All codes on one page and the number of symbols nobody could decode."""
    primary = readers[0]
    reading = primary.read(grey)
    found = dict.fromkeys(reading.codes, primary.name)
    misses = reading.misses
    if misses:
        for reader, variant in _retries(grey, readers):
            retry = reader.read(variant)
            for code in retry.codes:
                found.setdefault(code, reader.name)
            if len(found) >= len(reading.codes) + misses:
                break
        misses = max(0, len(reading.codes) + misses - len(found))
    if find_patch_t(grey, dpi):
        found[(BarcodeFormat.PATCH_T, "PATCH-T")] = "patch"
    barcodes = [
        Barcode(page=page, format=f, text=t, reader=r) for (f, t), r in found.items()
    ]
    return barcodes, misses


def _retries(
    grey: Array, readers: Sequence[BarcodeReader]
) -> list[tuple[BarcodeReader, Array]]:
    upscaled = cv2.resize(grey, None, fx=2, fy=2, interpolation=cv2.INTER_CUBIC)
    tries = [(readers[0], upscaled)]
    for angle in (4.0, -4.0):
        height, width = grey.shape
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
        tries.append(
            (readers[0], cv2.warpAffine(grey, matrix, (width, height), borderValue=255))
        )
    tries += [(reader, grey) for reader in readers[1:]]
    return tries


def classify(barcode: Barcode, patterns: BarcodePatterns) -> str | None:
    """Which configured meaning a code has: separator, file_reference, routing_code,
    archive_serial, or ``None`` (recorded as an anomaly, never an error)."""
    if barcode.format is BarcodeFormat.PATCH_T:
        return "separator"
    for meaning in ("separator", "file_reference", "routing_code", "archive_serial"):
        if re.search(getattr(patterns, meaning), barcode.text):
            return meaning
    return None
