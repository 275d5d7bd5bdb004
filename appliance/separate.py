"""Separation stage: split a batch into documents by separator sheets (Trennblatt,
PATCH T), by a barcode that starts a document, by a blank sheet, or by a maximum
page count. Dropped pages (blank backsides, separator sheets) are recorded as
anomalies of the document they belonged to, so every captured page is accounted for.
"""

from __future__ import annotations

from appliance.barcodes import classify
from appliance.pages import Anomaly, Document, Page
from appliance.settings import PipelineSettings


class _Splitter:
    def __init__(self) -> None:
        self.documents: list[Document] = []
        self.current: list[Page] = []
        self.notes: list[Anomaly] = []
        self.pending: list[Anomaly] = []

    def close(self) -> None:
        if self.current:
            notes = self.pending
            self.documents.append(
                Document(
                    index=len(self.documents) + 1, pages=self.current, anomalies=notes
                )
            )
            self.current, self.pending = [], []

    def drop(self, page: Page, kind: str, detail: str) -> None:
        self.pending.append(Anomaly(kind=kind, page=page.number, detail=detail))


def separate(
    pages: list[Page], settings: PipelineSettings
) -> tuple[list[Document], list[Anomaly]]:
    """Documents in scan order, and the anomalies that belong to no document."""
    rules, split = settings.separation, _Splitter()
    for page in pages:
        meanings = {classify(code, settings.barcodes) for code in page.barcodes}
        for code in page.barcodes:
            if classify(code, settings.barcodes) is None:
                split.pending.append(
                    Anomaly(
                        kind="barcode_unmatched",
                        page=page.number,
                        detail=f"{code.format}: {code.text}",
                    )
                )
        if page.barcode_misses:
            split.pending.append(
                Anomaly(
                    kind="barcode_miss",
                    page=page.number,
                    detail=f"{page.barcode_misses} Code(s) nicht lesbar",
                )
            )
        if "separator" in meanings and rules.separator_sheets:
            split.close()
            if not rules.keep_separator_pages:
                split.drop(page, "separator_dropped", "Trennblatt entfernt")
                continue
        if page.blank and rules.blank_sheet:
            split.close()
            split.drop(page, "blank_page_dropped", "Leerblatt als Trennblatt")
            continue
        if page.blank and settings.profile.drop_blank_pages:
            split.drop(page, "blank_page_dropped", "leere Seite entfernt")
            continue
        if rules.new_document_on in meanings and "separator" not in meanings:
            split.close()
        if rules.max_pages is not None and len(split.current) >= rules.max_pages:
            split.close()
        split.current.append(page)
    split.close()
    return split.documents, split.pending
