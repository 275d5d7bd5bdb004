"""Cheap scanned mail for the reliability suite, with ground truth.

Each letter page is a short generated letter (two body lines, so OCR is quick)
with the Code 128 routing code ``ROUTE-PARK``; documents of one or two pages are
separated by separator sheets, which the pipeline drops. ``RELIABILITY_PAGES``
sets the number of letter pages (CI default: small).
"""

from __future__ import annotations

import os
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

from appliance.model import BarcodeFormat
from appliance.samples import Code
from tests.appliance.letters import letter_file, separator_file

DPI = 150
ROUTE_CODE = "ROUTE-PARK"


def pages_wanted(default: int) -> int:
    """Letter pages for this run: ``RELIABILITY_PAGES`` or the CI default."""
    return int(os.environ.get("RELIABILITY_PAGES", default))


@dataclass(frozen=True)
class Batch:
    """One stack of paper: its files (in scanning order) and the page count of
    each document in it."""

    files: list[Path]
    documents: list[int]

    @property
    def pages(self) -> int:
        return sum(self.documents)


def make_batches(folder: Path, pages: int, per_batch: int, seed: int) -> list[Batch]:
    """``pages`` letter pages in batches of about ``per_batch`` pages."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    batches: list[Batch] = []
    number, left = 0, pages
    while left:
        size = min(per_batch, left)
        target = folder / f"stapel-{len(batches):03d}"
        target.mkdir(parents=True)
        files: list[Path] = []
        documents: list[int] = []
        while sum(documents) < size:
            count = min(rng.choice((1, 1, 2)), size - sum(documents))
            if documents:
                files.append(_named(separator_file(target, number), target, files))
            for _ in range(count):
                number += 1
                code = [Code(BarcodeFormat.CODE128, ROUTE_CODE)]
                page = letter_file(target, number, dpi=DPI, lines=2, codes=code)
                files.append(_named(page, target, files))
            documents.append(count)
        batches.append(Batch(files=files, documents=documents))
        left -= size
    return batches


def _named(path: Path, folder: Path, before: list[Path]) -> Path:
    """Prefix with the position so the station reads the files in order."""
    return path.rename(folder / f"{len(before):04d}-{path.name}")


def feed(batch: Batch, inbox: Path) -> None:
    """Lay the batch into the station's input folder (each file written beside
    it, then renamed in, so the station never reads half a file)."""
    staging = inbox.parent / "ablage-vorher"
    staging.mkdir(exist_ok=True)
    for path in batch.files:
        shutil.copy(path, staging / path.name)
        (staging / path.name).rename(inbox / path.name)
