"""OCR stage: ``tesseract -l deu`` on the binarised copy of each page, several pages at
once in separate tesseract processes with one thread each (``OMP_THREAD_LIMIT=1``).

Each page yields a text-only PDF page (the invisible text layer laid over the
archived image) and its words with confidences; the page's confidence is the mean
word confidence weighted by word length. A page OCR cannot read keeps its image and
gets no text, never disappearing from the document.
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

import msgspec

from appliance import zone
from appliance._exec import tesseract
from appliance.errors import ApplianceError
from appliance.job import JobContext
from appliance.pages import Page

log = logging.getLogger(__name__)


def ocr_page(page: Page, job: JobContext) -> Page:
    base = job.work_dir / f"{page.number:04d}_ocr"
    try:
        pdf, tsv = tesseract.recognise(
            Path(page.binary_path),
            base,
            language=job.settings.ocr_language,
            dpi=page.dpi,
            timeout=job.settings.ocr_timeout_seconds,
        )
    except ApplianceError as exc:
        log.warning("OCR failed for page %d: %s", page.number, exc.message)
        return msgspec.structs.replace(page, confidence=0.0)
    words = tsv.read_text(encoding="utf-8")
    text, confidence = parse_tsv(words)
    page = msgspec.structs.replace(
        page, text=text, confidence=confidence, text_layer_path=str(pdf)
    )
    return msgspec.structs.replace(page, zone_format=zone.reread(page, words, job))


def parse_tsv(tsv: str) -> tuple[str, float | None]:
    """Text (lines joined by newlines, paragraphs by blank lines) and confidence."""
    lines: dict[tuple[int, int, int], list[str]] = {}
    weighted, letters = 0.0, 0
    for row in csv.DictReader(io.StringIO(tsv), delimiter="\t", quoting=csv.QUOTE_NONE):
        word = (row.get("text") or "").strip()
        if row.get("level") != "5" or not word or float(row["conf"]) < 0:
            continue
        key = (int(row["block_num"]), int(row["par_num"]), int(row["line_num"]))
        lines.setdefault(key, []).append(word)
        weighted += float(row["conf"]) * len(word)
        letters += len(word)
    out: list[str] = []
    previous: tuple[int, int] | None = None
    for (block, par, _), words in lines.items():
        if previous is not None and previous != (block, par):
            out.append("")
        out.append(" ".join(words))
        previous = (block, par)
    return "\n".join(out), (round(weighted / letters, 1) if letters else None)
