"""What a person does with a document before it leaves: approve it, change its
office, delete it, and rescan, delete, reorder, split or merge its pages.

Every change to the pages writes a new PDF/A (with a new, signed Transfervermerk
that lists the rescanned pages) from the cleaned pages and their text layers, and
routes it again; the office a person chose stays chosen. Committed documents are no
longer changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

from appliance.documents import write_document
from appliance.ocr import ocr_page
from appliance.pages import Anomaly, Document, Page
from appliance.pipeline import clean_and_read
from appliance.routing import record_correction
from appliance.scanner import capture_scanner
from appliance.settings import ScanProfile
from appliance.station.batches import Station, StationError
from appliance.station.store import DocState, StationDocument


def open_document(station: Station, doc_id: int) -> StationDocument:
    found = station.store.document(doc_id)
    if found is None:
        raise StationError("Dieses Dokument gibt es nicht.")
    if found.state is not DocState.OPEN:
        raise StationError("Das Dokument ist bereits im Postausgang oder gelöscht.")
    return found


def approve(station: Station, doc_id: int, operator: str = "") -> StationDocument:
    """Commit to the outbox as ``operator`` (the logged-in person) decided, and
    teach the classifier."""
    with station.edit_lock:
        document = open_document(station, doc_id)
        office = document.chosen_office
        if office is None:
            raise StationError("Bitte zuerst ein Amt wählen.")
        if document.decision.needs_review or office != document.decision.office:
            rules = station.rules()
            if rules.classifier_file:
                record_correction(Path(rules.classifier_file), document.text, office)
        station.commit(document, approved_by=operator or station.settings.operator)
        return document


def change_office(station: Station, doc_id: int, office: str) -> None:
    with station.edit_lock:
        open_document(station, doc_id)
        if station.rules().office(office) is None:
            raise StationError(f"Das Amt „{office}“ ist nicht eingerichtet.")
        station.store.set_office(doc_id, office)


def delete_document(station: Station, doc_id: int) -> None:
    with station.edit_lock:
        document = open_document(station, doc_id)
        station.store.set_state(doc_id, DocState.DELETED, "Von Hand gelöscht.")
        station.release_work(document.batch_id)


def delete_page(station: Station, doc_id: int, index: int) -> None:
    def edit(pages: list[Page]) -> list[Page]:
        if len(pages) == 1:
            raise StationError("Die letzte Seite: bitte das Dokument löschen.")
        return pages[:index] + pages[index + 1 :]

    _edit_pages(station, doc_id, index, edit)


def move_page(station: Station, doc_id: int, index: int, delta: int) -> None:
    def edit(pages: list[Page]) -> list[Page]:
        target = index + delta
        if not 0 <= target < len(pages):
            raise StationError("Die Seite kann nicht weiter verschoben werden.")
        pages = list(pages)
        pages[index], pages[target] = pages[target], pages[index]
        return pages

    _edit_pages(station, doc_id, index, edit)


def split(station: Station, doc_id: int, index: int) -> int:
    """Pages from ``index`` on become a new document right after this one."""
    with station.edit_lock:
        document = open_document(station, doc_id)
        if not 0 < index < len(document.pages):
            raise StationError("Hier kann nicht geteilt werden.")
        head, tail = document.pages[:index], document.pages[index:]
        _rebuild(station, document, head)
        station.store.shift_positions(document.batch_id, document.position, 10)
        job = station.job(
            document.batch_id, _profile(station, document), _label(document)
        )
        new = Document(index=1, pages=tail)
        return station.write(new, job, position=document.position + 5)


def merge_next(station: Station, doc_id: int) -> None:
    """Append the next open document of the batch to this one."""
    with station.edit_lock:
        document = open_document(station, doc_id)
        following = [
            d
            for d in station.store.documents(
                batch_id=document.batch_id, state=DocState.OPEN
            )
            if d.position > document.position
        ]
        if not following:
            raise StationError("Es gibt kein folgendes offenes Dokument.")
        nxt = following[0]
        _rebuild(station, document, document.pages + nxt.pages)
        station.store.set_state(nxt.id, DocState.DELETED, f"Angefügt an {doc_id}.")


def rescan_page(station: Station, doc_id: int, index: int) -> None:
    """Scan one sheet on the scanner and put it in place of page ``index``."""
    if not station.settings.scanner:
        raise StationError("An dieser Station ist kein Scanner eingerichtet.")
    with station.edit_lock:
        document = open_document(station, doc_id)
        if not 0 <= index < len(document.pages):
            raise StationError("Diese Seite gibt es nicht.")
        job = station.job(document.batch_id, _profile(station, document))
        number = 1 + max(
            p.number
            for d in station.store.documents(batch_id=document.batch_id)
            for p in d.pages
        )
        outcome = capture_scanner(job, station.settings.scanner, start=number, count=1)
        if not outcome.pages:
            raise StationError(
                outcome.message or "Der Scanner hat keine Seite geliefert."
            )
        page = clean_and_read(outcome.pages[0], job.settings, job.work_dir)
        page = ocr_page(page, job)
        pages = list(document.pages)
        old = pages[index]
        pages[index] = page
        note = Anomaly(
            kind="rescan", page=page.number, detail=f"ersetzt Seite {old.number}"
        )
        _rebuild(station, document, pages, anomalies=[note])


def _edit_pages(
    station: Station,
    doc_id: int,
    index: int,
    edit: Callable[[list[Page]], list[Page]],
) -> None:
    with station.edit_lock:
        document = open_document(station, doc_id)
        if not 0 <= index < len(document.pages):
            raise StationError("Diese Seite gibt es nicht.")
        _rebuild(station, document, edit(document.pages))


def _rebuild(
    station: Station,
    document: StationDocument,
    pages: list[Page],
    *,
    anomalies: list[Anomaly] | None = None,
) -> None:
    job = station.job(document.batch_id, _profile(station, document), _label(document))
    rebuilt = Document(index=1, pages=pages, anomalies=anomalies or [])
    result = write_document(rebuilt, job)
    station.thumbnails(pages)
    station.store.replace_content(
        document.id,
        decision=result.decision,
        text=result.text,
        pdf_path=result.pdf_path,
        sha256=result.sha256,
        pages=pages,
    )
    old = Path(document.pdf_path)
    for stale in (old, old.with_suffix(".json")):
        stale.unlink(missing_ok=True)


def _label(document: StationDocument) -> str:
    """A fresh file name: the old PDF stays until the new one is complete."""
    return f"{document.batch_id}-{uuid.uuid4().hex[:6]}"


def _profile(station: Station, document: StationDocument) -> ScanProfile:
    return station.profile_of(document.batch_id)
