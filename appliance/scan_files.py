"""``appliance barcodes``: the barcodes in image and PDF files, page by page, without
running the whole pipeline (no cleanup, so what a scanner delivered is what is read)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import msgspec
import numpy as np
from numpy.typing import NDArray

from appliance._exec import ghostscript
from appliance.barcodes import READERS, read_barcodes
from appliance.capture import PDF_SUFFIXES, check_pdf
from appliance.images import dpi_of, frames

DEFAULT_DPI = 300
MAX_MEGAPIXELS = 150


class FoundCode(msgspec.Struct, kw_only=True, frozen=True):
    file: str
    page: int
    format: str
    text: str


def barcodes_in_file(path: Path) -> Iterator[FoundCode]:
    readers = [READERS[name]() for name in ("zxing-cpp", "pyzbar")]
    for number, grey, dpi in _pages(path):
        codes, _ = read_barcodes(grey, number, readers, dpi=dpi)
        for code in codes:
            yield FoundCode(
                file=str(path), page=number, format=str(code.format), text=code.text
            )


def _pages(path: Path) -> Iterator[tuple[int, NDArray[Any], int]]:
    if path.suffix.lower() not in PDF_SUFFIXES:
        for number, frame in enumerate(
            frames(path, max_megapixels=MAX_MEGAPIXELS), start=1
        ):
            yield number, np.asarray(frame.convert("L")), dpi_of(frame, DEFAULT_DPI)
        return
    check_pdf(path)
    with tempfile.TemporaryDirectory(prefix="appliance-barcodes-") as tmp:
        pattern = Path(tmp) / "page-%04d.png"
        ghostscript.render(path, pattern, dpi=DEFAULT_DPI, colour=False, timeout=300)
        for number, page in enumerate(sorted(Path(tmp).glob("page-*.png")), start=1):
            frame = next(frames(page, max_megapixels=MAX_MEGAPIXELS))
            yield number, np.asarray(frame.convert("L")), DEFAULT_DPI
