"""Batches at the station: folder input through the real pipeline (tesseract, zxing,
pyzbar), routing, auto-commit of confident documents, and nothing lost on the way."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.errors import ApplianceError
from appliance.outbox import State
from appliance.station.batches import StationError
from appliance.station.store import DocState

from .conftest import MakeStation, run_batch

pytestmark = pytest.mark.slow


def test_folder_batch_is_split_routed_and_confident_ones_committed(
    make_station: MakeStation,
) -> None:
    """GIVEN six sheets in the input folder: a building letter, a separator, a
    two-page hearing, a separator, a letter no rule knows
    WHEN a batch runs with auto-commit
    THEN three documents with their pages; the two confident ones are in the
    outbox with their routes, the unknown one waits for a person; every input file
    is moved aside, none deleted."""
    station = make_station()
    inbox = Path(station.settings.input_folder)
    inputs = sorted(p.name for p in inbox.iterdir())
    batch_id = run_batch(station)
    documents = station.store.documents(batch_id=batch_id)
    assert [[p.number for p in d.pages] for d in documents] == [[1], [3, 4], [6]]
    assert [d.decision.office for d in documents] == ["bauamt", "ordnungsamt", None]
    assert [d.state for d in documents] == [
        DocState.COMMITTED,
        DocState.COMMITTED,
        DocState.OPEN,
    ]
    routes = sorted(e.metadata.route or "" for e in station.outbox.entries())
    assert routes == ["dms:posteingang-32", "dms:posteingang-63"]
    assert station.outbox.counts()[State.PENDING] == 2
    moved = station.data / "eingelesen" / batch_id
    assert sorted(p.name for p in moved.iterdir()) == inputs
    assert list(inbox.iterdir()) == []
    batch = station.store.batch(batch_id)
    assert batch is not None
    assert batch.pages_captured == 6
    assert "6 Seiten erfasst, 3 Dokumente" in batch.message
    thumbs = {p.raw_sha256 for d in documents for p in d.pages}
    assert {p.stem for p in (station.data / "thumbs").iterdir()} == thumbs


def test_a_broken_file_is_reported_and_the_rest_goes_on(
    make_station: MakeStation,
) -> None:
    """GIVEN a truncated PNG beside a good letter
    WHEN a batch runs
    THEN the letter becomes a document, the batch message names the broken file
    in German, and the broken file is kept (moved aside)."""
    station = make_station(mail="single")
    inbox = Path(station.settings.input_folder)
    good = (inbox / "hund.png").read_bytes()
    (inbox / "kaputt.png").write_bytes(good[: len(good) // 3])
    batch_id = run_batch(station)
    assert len(station.store.documents(batch_id=batch_id)) == 1
    batch = station.store.batch(batch_id)
    assert batch is not None
    assert "Abgelehnt: kaputt.png" in batch.message
    assert (station.data / "eingelesen" / batch_id / "kaputt.png").exists()


def test_an_empty_input_folder_and_a_second_batch_are_refused(
    make_station: MakeStation,
) -> None:
    """GIVEN an empty input folder, and a station without scanner
    WHEN a batch is started from each
    THEN the folder batch fails with a German reason, the scanner one is refused."""
    station = make_station(mail="none")
    batch_id = station.start_batch("Brief 150 dpi", "folder")
    station.join(30)
    batch = station.store.batch(batch_id)
    assert batch is not None
    assert batch.state == "failed"
    assert "keine Dateien" in batch.message
    with pytest.raises(StationError, match="kein Scanner"):
        station.start_batch("Brief 150 dpi", "scanner")
    with pytest.raises(ApplianceError, match="nicht eingerichtet"):
        station.start_batch("Unbekannt", "folder")


def test_the_work_folder_goes_once_no_document_of_the_batch_can_change(
    make_station: MakeStation,
) -> None:
    """GIVEN a finished batch with two committed documents and one waiting for a
    person (its pages can still be edited, so its work folder is needed)
    WHEN the person deletes the waiting one
    THEN the batch's work folder (several MiB per page) is removed."""
    from appliance.station.actions import delete_document

    station = make_station()
    batch_id = run_batch(station)
    work = station.data / "work" / batch_id
    assert any(work.iterdir())
    [waiting] = station.store.documents(batch_id=batch_id, state=DocState.OPEN)
    delete_document(station, waiting.id)
    assert not work.exists()
