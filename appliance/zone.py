"""A second, narrow OCR pass over what looks like a machine-readable zone.

Tesseract's German model reads the filler ``<`` of a zone as ``c``, ``e`` or
``«`` and confuses ``0`` and ``8`` in a full-page pass, so an ID copy would slip
through unflagged. When the page's words contain zone-like lines (20 or more
characters with ``<<``) and the full-page text holds no valid zone, the zone's
region of the greyscale archive image is read again as one block, restricted to
the zone alphabet (A-Z, 0-9, ``<``). The check digits still decide; only the
format is kept (``Page.zone_format``), never the data in the zone.
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

from PIL import Image

from appliance._exec import tesseract
from appliance.errors import ApplianceError
from appliance.job import JobContext
from appliance.pages import Page
from appliance.routing.mrz import find_mrz

log = logging.getLogger(__name__)

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789<"
Box = tuple[int, int, int, int]  # left, top, right, bottom in image pixels


def zone_boxes(tsv: str) -> list[Box]:
    """Boxes of the OCR words that look like lines of a machine-readable zone."""
    boxes = []
    rows = csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE)
    for row in rows:
        word = (row.get("text") or "").strip()
        if row.get("level") == "5" and len(word) >= 20 and "<<" in word:
            left, top = int(row["left"]), int(row["top"])
            boxes.append(
                (left, top, left + int(row["width"]), top + int(row["height"]))
            )
    return boxes


def reread(page: Page, tsv: str, job: JobContext) -> str:
    """The zone's format ("TD1", ...) after a second pass, or "" if none holds."""
    if find_mrz(page.text):
        return str(find_mrz(page.text)[0].format)
    boxes = zone_boxes(tsv)
    if not boxes or not page.archive_path:
        return ""
    margin = max(b[3] - b[1] for b in boxes)
    crop = job.work_dir / f"{page.number:04d}_zone.png"
    with Image.open(page.archive_path) as image:
        image.convert("L").crop(
            (
                max(0, min(b[0] for b in boxes) - margin),
                max(0, min(b[1] for b in boxes) - margin),
                min(image.width, max(b[2] for b in boxes) + margin),
                min(image.height, max(b[3] for b in boxes) + margin),
            )
        ).save(crop)
    try:
        text = tesseract.read_block(
            Path(crop),
            language=job.settings.ocr_language,
            dpi=page.dpi,
            alphabet=ALPHABET,
            timeout=job.settings.ocr_timeout_seconds,
        )
    except ApplianceError as exc:
        log.warning("zone pass failed for page %d: %s", page.number, exc.message)
        return ""
    finally:
        crop.unlink(missing_ok=True)
    found = find_mrz(text)
    return str(found[0].format) if found else ""
