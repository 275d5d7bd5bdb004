"""The ground truth written beside the sample mail (``ground-truth.json``)."""

from __future__ import annotations

from typing import Literal

import msgspec

from appliance.samples import Code

SheetKind = Literal["letter", "form", "id_copy", "blank", "separator"]


class PageTruth(msgspec.Struct, kw_only=True, frozen=True):
    """One scanned sheet: where it belongs and what a reader should find on it.

    ``document`` is ``None`` for separator sheets; blank backsides belong to their
    document but are dropped by the pipeline. ``office``, ``leika_key`` and
    ``route`` are the expected routing of the document the page belongs to.
    """

    number: int  # 1-based position in the batch (file order)
    file: str
    kind: SheetKind
    document: str | None
    barcodes: list[Code] = []
    blank: bool = False
    separator: bool = False
    id_copy: bool = False
    negative_list: bool = False
    office: str | None = None
    leika_key: str | None = None
    route: str | None = None
    text_excerpt: str = ""


class DocumentTruth(msgspec.Struct, kw_only=True, frozen=True):
    """One document as the pipeline should separate and route it."""

    id: str
    template: str
    title: str
    pages: list[int]  # batch page numbers, blank backsides included
    content_pages: int  # pages that end up in the PDF (blank ones dropped)
    office: str | None
    leika_key: str | None
    route: str | None
    method: str
    needs_review: bool
    keep_original: bool
    id_copy: bool


class GroundTruth(msgspec.Struct, kw_only=True, frozen=True):
    seed: int
    dpi: int
    rules_file: str
    pages: list[PageTruth]
    documents: list[DocumentTruth]

    @property
    def separators(self) -> int:
        return sum(p.separator for p in self.pages)


def encode(truth: GroundTruth) -> bytes:
    return msgspec.json.format(msgspec.json.encode(truth), indent=2) + b"\n"


def decode(raw: bytes) -> GroundTruth:
    return msgspec.json.decode(raw, type=GroundTruth)
