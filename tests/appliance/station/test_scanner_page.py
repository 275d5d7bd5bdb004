"""Scanner batches from the station page in headless Chromium: a real
``appliance serve`` and the real SANE ``test`` device (its own configuration,
rewritten between scans as paper and faults change at a scanner; see
``sane.py``). The operator starts the batch on the page, watches it, reads the
German message when the cover is open, the feeder is empty or jammed, goes on
from the page and ends with documents in the outbox; every page scanned is
counted. Screenshots are kept in ``test-artifacts/``."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pikepdf
import pytest
from playwright.sync_api import Browser, Page, expect

from appliance import transfer
from appliance.outbox import Outbox
from appliance.scanlog import ScanLog
from appliance.station.store import StationDocument, StationStore
from tests.support.browser import chromium, screenshot
from tests.support.processes import VENV_BIN, LiveProcess, free_port

from .letters import station_folder
from .login import USER, login_browser
from .sane import SaneTestDevice, needs_sane

pytestmark = [pytest.mark.browser, pytest.mark.slow, needs_sane]


class ScannerStation:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.device = SaneTestDevice(folder / "sane")
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        settings = station_folder(
            folder / "station",
            scanner="test",
            auto_commit=False,
            deliver=False,
            port=self.port,
        )
        argv = [str(VENV_BIN / "appliance"), "serve", "--settings", str(settings)]
        self.process = LiveProcess(argv, folder / "station.log", self.device.env)
        self.process.wait_http(f"{self.url}/anmelden")

    def store(self) -> StationStore:
        return StationStore(self.folder / "station" / "daten" / "station.sqlite3")

    def outbox(self) -> Outbox:
        return Outbox(self.folder / "station" / "postausgang")

    def log(self, batch_id: str, kind: str) -> list[dict[str, object]]:
        entries = ScanLog(self.folder / "station" / "zustand" / "scan-log.jsonl")
        return [
            e.data
            for e in entries.entries()
            if e.batch_id == batch_id and e.kind == kind
        ]


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScannerStation]:
    station = ScannerStation(tmp_path_factory.mktemp("station-scanner"))
    yield station
    station.process.stop()


@pytest.fixture(scope="module")
def browser(live: ScannerStation) -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser, live: ScannerStation) -> Iterator[Page]:
    context = browser.new_context(
        locale="de-DE", viewport={"width": 1024, "height": 768}, has_touch=True
    )
    opened = context.new_page()
    opened.set_default_timeout(30_000)
    login_browser(opened, live.url)
    yield opened
    context.close()


def start(page: Page, live: ScannerStation, profile: str) -> str:
    page.goto(live.url)
    page.get_by_label("Scanprofil").select_option(profile)
    page.get_by_label("Scanner „test“").check()
    page.get_by_role("button", name="Stapel starten").click()
    page.wait_for_url(re.compile(r"/stapel/\w+$"))
    return page.url.rsplit("/", 1)[1]


def press(page: Page, button: str) -> None:
    page.get_by_role("button", name=button).click()


def approve(page: Page, office: str) -> None:
    """Open the batch's only document, choose the office and approve it."""
    page.locator("article.card").get_by_role(
        "link", name=re.compile(r"^Dokument \d+$")
    ).click()
    page.get_by_test_id("office-select").select_option(office)
    page.get_by_role("button", name="Amt ändern").click()
    page.get_by_role("button", name="Freigeben").click()
    expect(page.get_by_role("status")).to_contain_text("im Postausgang – fertig")


def blank_pages(document: StationDocument) -> list[int]:
    sidecar = json.loads(Path(document.pdf_path).with_suffix(".json").read_text())
    return [
        a["page"] for a in sidecar["anomalies"] if a["kind"] == "blank_page_dropped"
    ]


def test_a_flatbed_batch_from_the_page_with_an_open_cover_ends_in_the_outbox(
    live: ScannerStation, page: Page
) -> None:
    """GIVEN a station with the SANE test scanner, and frau.beispiel logged in
    WHEN she starts a flatbed batch on the page, scans a page, a blank page, meets
    an open cover, closes it, scans another page, closes the batch and approves
    the document
    THEN the page pauses after each sheet, shows "Die Abdeckung des Scanners ist
    offen" and goes on without losing a page; the 3 pages scanned are the 2
    pages of the document in the outbox plus 1 recorded blank page; the scan log,
    the Transfervermerk and the approval name frau.beispiel, not the settings'
    "Frau Beispiel"."""
    status = page.get_by_test_id("batch-status")
    batch_id = start(page, live, "Flachbett")
    expect(status).to_contain_text("Angehalten: Seite 1 gescannt. Nächstes Blatt")
    screenshot(page, "station-scanner-01-next-sheet")
    live.device.set(picture="Solid white")
    press(page, "Weiter scannen")
    expect(status).to_contain_text("Seite 2 gescannt")
    live.device.set(status="SANE_STATUS_COVER_OPEN")
    press(page, "Weiter scannen")
    expect(status).to_contain_text(
        "Die Abdeckung des Scanners ist offen. Bitte schließen und fortsetzen."
        " Bisher 2 Seiten erfasst."
    )
    screenshot(page, "station-scanner-02-cover-open")
    live.device.set()
    press(page, "Weiter scannen")
    expect(status).to_contain_text("Seite 3 gescannt")
    press(page, "Stapel abschließen")
    expect(status).to_contain_text(
        "Fertig: 3 Seiten erfasst, 1 Dokumente. 1 leere Seiten entfernt."
    )
    approve(page, "bauamt")

    (document,) = live.store().documents(batch_id=batch_id)
    (entry,) = [e for e in live.outbox().entries() if e.metadata.batch_id == batch_id]
    captured = [d["page"] for d in live.log(batch_id, "page_captured")]
    assert captured == [1, 2, 3]
    assert (entry.metadata.page_count, blank_pages(document)) == (2, [2])
    assert len(captured) == entry.metadata.page_count + len(blank_pages(document))
    assert live.log(batch_id, "batch_started")[0]["operator"] == USER
    assert entry.metadata.approved_by == USER
    with pikepdf.open(live.outbox().path(entry)) as pdf:
        raw = pdf.attachments[transfer.NOTE_FILENAME].get_file().read_bytes()
    assert transfer.decode(raw).operator == USER


def test_an_empty_feeder_and_a_jam_are_shown_and_the_batch_goes_on_from_the_page(
    live: ScannerStation, page: Page
) -> None:
    """GIVEN the test scanner's feeder, first empty, then jammed
    WHEN the operator starts a feeder batch on the page, puts paper in, clears
    the jam and presses "Weiter scannen" each time
    THEN she reads "Der Einzug ist leer" and then "Papierstau im Einzug", then
    watches the 10 sheets go through the stages page by page; the document of
    10 pages reaches the outbox and the scan log has 10 captured pages."""
    status = page.get_by_test_id("batch-status")
    live.device.set(status="SANE_STATUS_NO_DOCS")
    batch_id = start(page, live, "Brief 150 dpi")
    expect(status).to_contain_text("Der Einzug ist leer. Bitte Papier einlegen.")
    live.device.set(status="SANE_STATUS_JAMMED")
    press(page, "Weiter scannen")
    expect(status).to_contain_text(
        "Papierstau im Einzug. Bitte das Blatt entfernen und fortsetzen."
    )
    screenshot(page, "station-scanner-03-jam")
    live.device.set()
    press(page, "Weiter scannen")
    seen = set()
    deadline = time.monotonic() + 120
    while not (text := status.inner_text()).startswith("Fertig"):
        assert time.monotonic() < deadline, f"batch not done after 120 s: {text}"
        seen.add(text)
        page.wait_for_timeout(100)
    assert any(re.search(r"Seite \d+ von 10", t) for t in seen), seen
    assert "Fertig: 10 Seiten erfasst, 1 Dokumente." in text
    approve(page, "steueramt")

    (entry,) = [e for e in live.outbox().entries() if e.metadata.batch_id == batch_id]
    assert entry.metadata.page_count == 10
    assert [d["page"] for d in live.log(batch_id, "page_captured")] == list(
        range(1, 11)
    )
    stops = [d["code"] for d in live.log(batch_id, "scanner_stop")]
    assert stops == ["feeder-empty", "paper-jam"]
