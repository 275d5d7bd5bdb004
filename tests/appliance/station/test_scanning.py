"""Scanner batches on the station with the real SANE ``test`` device: a flatbed
batch pauses after each sheet (it used to scan the glass until its time ran out,
showing "Seite 0 von 0"), a jam, an open cover or an empty feeder pause the batch
with the scanner's German message, and the batch goes on from where it stopped,
also after a restart. Every page scanned is counted: pages in documents plus
recorded blank pages. The person who starts a batch is its operator."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pikepdf
import pytest

from appliance import transfer
from appliance.station import actions
from appliance.station.batches import Station, StationError
from appliance.station.settings import load_settings
from appliance.station.store import Batch, StationDocument, StationStore

from .conftest import MakeStation
from .sane import SaneTestDevice, needs_sane

pytestmark = needs_sane

OPERATOR = "frau.beispiel"
NEXT_SHEET = "Nächstes Blatt auflegen"


@pytest.fixture
def device(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SaneTestDevice:
    sane = SaneTestDevice(tmp_path / "sane")
    for name, value in sane.env.items():
        monkeypatch.setenv(name, value)
    return sane


def step(station: Station, batch_id: str, *, finish: bool = False) -> Batch:
    """Press "Weiter scannen" (or "Stapel abschließen") and wait for the result."""
    station.continue_batch(batch_id, OPERATOR, finish=finish)
    station.join(120)
    return wait(station, batch_id)


def wait(station: Station, batch_id: str) -> Batch:
    station.join(120)
    batch = station.store.batch(batch_id)
    assert batch is not None
    assert batch.state in ("paused", "done"), batch.message
    return batch


def blank_pages(document: StationDocument) -> list[int]:
    sidecar = json.loads(Path(document.pdf_path).with_suffix(".json").read_text())
    return [
        a["page"] for a in sidecar["anomalies"] if a["kind"] == "blank_page_dropped"
    ]


def captured_in_log(station: Station, batch_id: str) -> list[int]:
    return [
        e.data["page"]
        for e in station.scan_log.entries()
        if e.kind == "page_captured" and e.batch_id == batch_id
    ]


def test_a_flatbed_batch_scans_sheet_by_sheet_and_counts_every_page(
    make_station: MakeStation, device: SaneTestDevice
) -> None:
    """GIVEN the SANE test device's flatbed and an operator logged in as
    frau.beispiel (the settings file names "Frau Beispiel")
    WHEN she scans a page with content, a blank page, meets an open cover, closes
    it, scans another page with content and closes the batch
    THEN the batch pauses after each sheet with a German note, the open cover is
    reported and loses nothing, the numbering goes on without a gap, and the 3
    pages scanned are the 2 pages of the document plus 1 recorded blank page;
    the scan log, the Transfervermerk and the approval name frau.beispiel."""
    station = make_station(mail="none", scanner="test", auto_commit=False)
    batch_id = station.start_batch("Flachbett", "scanner", OPERATOR)
    first = wait(station, batch_id)
    assert (first.state, first.pages_captured) == ("paused", 1)
    assert NEXT_SHEET in first.message
    device.set(picture="Solid white")
    assert step(station, batch_id).pages_captured == 2
    device.set(status="SANE_STATUS_COVER_OPEN")
    cover = step(station, batch_id)
    assert (cover.state, cover.pages_captured) == ("paused", 2)
    assert "Die Abdeckung des Scanners ist offen" in cover.message
    device.set()
    assert step(station, batch_id).pages_captured == 3
    done = step(station, batch_id, finish=True)

    assert done.state == "done", done.message
    assert "3 Seiten erfasst, 1 Dokumente. 1 leere Seiten entfernt." in done.message
    (document,) = station.store.documents(batch_id=batch_id)
    in_documents = [p.number for p in document.pages]
    assert (in_documents, blank_pages(document)) == ([1, 3], [2])
    assert captured_in_log(station, batch_id) == [1, 2, 3]
    assert len(in_documents) + len(blank_pages(document)) == 3

    started = [e for e in station.scan_log.entries() if e.kind == "batch_started"]
    assert started[-1].data["operator"] == OPERATOR
    with pikepdf.open(document.pdf_path) as pdf:
        raw = pdf.attachments[transfer.NOTE_FILENAME].get_file().read_bytes()
    assert transfer.decode(raw).operator == OPERATOR
    actions.change_office(station, document.id, "bauamt")
    actions.approve(station, document.id, OPERATOR)
    (entry,) = station.outbox.entries()
    assert (entry.metadata.approved_by, entry.metadata.page_count) == (OPERATOR, 2)


def test_an_empty_feeder_and_a_jam_pause_the_batch_which_goes_on_after_a_restart(
    make_station: MakeStation, device: SaneTestDevice, tmp_path: Path
) -> None:
    """GIVEN the test device's feeder, first empty, then jammed
    WHEN a batch is started, continued, the station restarted, the jam cleared and
    the batch continued again
    THEN the operator reads "Der Einzug ist leer" and then "Papierstau", the
    paused batch survives the restart, and the feeder's 10 sheets become one
    document of 10 pages; a batch that is not paused cannot be continued."""
    station = make_station(mail="none", scanner="test", auto_commit=False)
    device.set(status="SANE_STATUS_NO_DOCS")
    batch_id = station.start_batch("Brief 150 dpi", "scanner", OPERATOR)
    empty = wait(station, batch_id)
    assert empty.state == "paused"
    assert "Der Einzug ist leer. Bitte Papier einlegen." in empty.message
    device.set(status="SANE_STATUS_JAMMED")
    jam = step(station, batch_id)
    assert (jam.state, jam.pages_captured) == ("paused", 0)
    assert "Papierstau im Einzug" in jam.message

    restarted = Station(load_settings(tmp_path / "station" / "station.toml"))
    device.set()
    done = step(restarted, batch_id)
    assert done.state == "done", done.message
    assert "10 Seiten erfasst, 1 Dokumente." in done.message
    (document,) = restarted.store.documents(batch_id=batch_id)
    assert [p.number for p in document.pages] == list(range(1, 11))
    assert captured_in_log(restarted, batch_id) == list(range(1, 11))
    with pytest.raises(StationError, match="wartet nicht"):
        restarted.continue_batch(batch_id, OPERATOR, finish=True)


def test_a_station_database_from_before_pausing_is_brought_up_to_date(
    tmp_path: Path,
) -> None:
    """GIVEN a station database whose batches table knows no paused state
    WHEN the station opens it
    THEN its batches are kept and a batch can now be paused and claimed again."""
    path = tmp_path / "station.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        """
        CREATE TABLE batches (id TEXT PRIMARY KEY, profile TEXT NOT NULL,
            source TEXT NOT NULL CHECK (source IN ('folder', 'scanner')),
            state TEXT NOT NULL CHECK (state IN ('running', 'done', 'failed')),
            stage TEXT NOT NULL DEFAULT '', done INTEGER NOT NULL DEFAULT 0,
            total INTEGER NOT NULL DEFAULT 0, message TEXT NOT NULL DEFAULT '',
            pages_captured INTEGER NOT NULL DEFAULT 0, started_at TEXT NOT NULL,
            finished_at TEXT);
        INSERT INTO batches (id, profile, source, state, message, started_at)
            VALUES ('alt', 'Brief', 'folder', 'done', '6 Seiten', '2026-01-01');
        """
    )
    old.close()
    store = StationStore(path)
    kept = store.batch("alt")
    assert kept is not None
    assert (kept.state, kept.message, kept.operator) == ("done", "6 Seiten", "")
    store.add_batch("neu", "Flachbett", "scanner", OPERATOR)
    store.pause_batch("neu", message="Seite 1 gescannt.", pages=1)
    assert store.claim_paused("neu")
    assert not store.claim_paused("neu")
