"""What a person does before documents leave: reorder, split, merge, delete pages,
change the office, approve, rescan on the SANE test scanner. Pages are counted
after every step: none may get lost or doubled."""

from __future__ import annotations

import json
from pathlib import Path

import pikepdf
import pytest

from appliance.routing.classifier import Classifier
from appliance.station import actions
from appliance.station.batches import Station, StationError
from appliance.station.store import DocState

from .conftest import MakeStation, run_batch

pytestmark = pytest.mark.slow


def pages_of(station: Station, batch_id: str) -> list[list[int]]:
    return [
        [p.number for p in d.pages]
        for d in station.store.documents(batch_id=batch_id)
        if d.state is not DocState.DELETED
    ]


def pdf_pages(station: Station, doc_id: int) -> int:
    document = station.store.document(doc_id)
    assert document is not None
    with pikepdf.open(document.pdf_path) as pdf:
        return len(pdf.pages)


def test_reorder_split_merge_and_approve_keep_every_page(
    make_station: MakeStation,
) -> None:
    """GIVEN a batch of three open documents (auto-commit off)
    WHEN a page is moved, the two-page document split and merged again, one page
    deleted, an office changed and everything approved
    THEN the page lists and the rebuilt PDFs follow each step, every content page
    is accounted for, and each document reaches the outbox exactly once."""
    station = make_station(auto_commit=False)
    batch_id = run_batch(station)
    building, hearing, dog = station.store.documents(batch_id=batch_id)
    actions.move_page(station, hearing.id, 0, 1)
    assert pages_of(station, batch_id) == [[1], [4, 3], [6]]
    new = actions.split(station, hearing.id, 1)
    assert pages_of(station, batch_id) == [[1], [4], [3], [6]]
    assert pdf_pages(station, hearing.id) == 1
    assert pdf_pages(station, new) == 1
    actions.merge_next(station, hearing.id)
    assert pages_of(station, batch_id) == [[1], [4, 3], [6]]
    assert pdf_pages(station, hearing.id) == 2
    actions.move_page(station, hearing.id, 1, -1)
    merged = station.store.document(hearing.id)
    assert merged is not None
    assert merged.decision.office == "ordnungsamt"  # routed again after the edit
    with pytest.raises(StationError, match="nicht weiter"):
        actions.move_page(station, hearing.id, 0, -1)
    actions.change_office(station, dog.id, "steueramt")
    with pytest.raises(StationError, match="nicht eingerichtet"):
        actions.change_office(station, dog.id, "zoo")
    for document in (building, hearing, dog):
        actions.approve(station, document.id)
    entries = station.outbox.entries()
    assert sorted(e.metadata.office or "" for e in entries) == [
        "bauamt",
        "ordnungsamt",
        "steueramt",
    ]
    assert sum(e.metadata.page_count for e in entries) == 4  # 6 sheets - 2 separators
    with pytest.raises(StationError, match="bereits im Postausgang"):
        actions.approve(station, dog.id)


def test_deleting_pages_and_documents_never_sends_them(
    make_station: MakeStation,
) -> None:
    """GIVEN the two-page document of a batch and the letter after it
    WHEN one page and then the whole letter are deleted
    THEN the document keeps one page, the letter never reaches the outbox, and the
    last page of a document cannot be deleted on its own."""
    station = make_station(auto_commit=False)
    batch_id = run_batch(station)
    _, hearing, dog = station.store.documents(batch_id=batch_id)
    actions.delete_page(station, hearing.id, 0)
    assert pages_of(station, batch_id) == [[1], [4], [6]]
    with pytest.raises(StationError, match="letzte Seite"):
        actions.delete_page(station, hearing.id, 0)
    actions.delete_document(station, dog.id)
    assert pages_of(station, batch_id) == [[1], [4]]
    assert station.outbox.entries() == []


def test_approving_a_correction_teaches_the_classifier(
    make_station: MakeStation,
) -> None:
    """GIVEN a document no rule routes
    WHEN a person sets its office and approves it
    THEN the classifier file has learnt one example for that office."""
    station = make_station(mail="single", auto_commit=False)
    batch_id = run_batch(station)
    [dog] = station.store.documents(batch_id=batch_id)
    with pytest.raises(StationError, match="zuerst ein Amt"):
        actions.approve(station, dog.id)
    actions.change_office(station, dog.id, "steueramt")
    actions.approve(station, dog.id)
    rules = station.rules()
    assert rules.classifier_file is not None
    learnt = Classifier.load(Path(rules.classifier_file))
    assert learnt.model.documents == {"steueramt": 1}
    assert "hund" in learnt.model.words["steueramt"]


def test_rescan_replaces_a_page_from_the_sane_test_scanner(
    make_station: MakeStation,
) -> None:
    """GIVEN a one-page document and the SANE ``test`` scanner
    WHEN the page is rescanned
    THEN the document holds the new page, its PDF is rebuilt, and the rescan is
    recorded in the signed Transfervermerk and the scan log."""
    station = make_station(mail="single", auto_commit=False, scanner="test")
    batch_id = run_batch(station)
    [dog] = station.store.documents(batch_id=batch_id)
    actions.rescan_page(station, dog.id, 0)
    rescanned = station.store.document(dog.id)
    assert rescanned is not None
    assert [p.number for p in rescanned.pages] == [2]
    assert rescanned.pdf_path != dog.pdf_path
    assert not Path(dog.pdf_path).exists()
    sidecar = json.loads(Path(rescanned.pdf_path).with_suffix(".json").read_text())
    assert "rescan" in json.dumps(sidecar)
    log = station.scan_log.entries()
    assert [e.data.get("page") for e in log if e.kind == "page_captured"] == [1, 2]
