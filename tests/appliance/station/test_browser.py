"""The operator's page in headless Chromium against a real ``appliance serve``
process and a real marketplace: start a batch, watch it page by page, reorder,
split, merge, change an office, approve, see the outbox deliver and a dead letter
retried, and the rules editor refuse a mistake. Screenshots are kept in
``test-artifacts/``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from appliance.outbox import DocumentMetadata, Outbox, State
from appliance.verify import verify_pdf
from tests.appliance.idcard import save_id_copy
from tests.appliance.outbox.faults import LiveMarketplace, wait_for
from tests.marketplace.intake.samples import letter_pdf
from tests.support.browser import chromium, screenshot
from tests.support.processes import VENV_BIN, LiveProcess, free_port

from .letters import mail_batch, station_folder
from .login import login_browser

pytestmark = [pytest.mark.browser, pytest.mark.slow]


class LiveStation:
    def __init__(self, folder: Path, market: LiveMarketplace) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        settings = station_folder(
            folder,
            intake_url=market.url,
            token=market.token,
            auto_commit=False,
            port=self.port,
        )
        mail_batch(folder / "eingang")
        argv = [str(VENV_BIN / "appliance"), "serve"]
        self.process = LiveProcess(
            [*argv, "--settings", str(settings)], folder / "station.log", {}
        )
        self.process.wait_http(f"{self.url}/anmelden")


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[LiveStation, LiveMarketplace]]:
    folder = tmp_path_factory.mktemp("station-browser")
    market = LiveMarketplace(folder / "marketplace")
    market.start()
    station = LiveStation(folder / "station", market)
    yield station, market
    station.process.stop()
    market.kill()


@pytest.fixture(scope="module")
def browser(live: tuple[LiveStation, LiveMarketplace]) -> Iterator[Browser]:
    with chromium() as launched:  # after ``live``: its set-up uses asyncio.run
        yield launched


@pytest.fixture
def page(browser: Browser, live: tuple[LiveStation, LiveMarketplace]) -> Iterator[Page]:
    """A logged-in operator's page."""
    context = browser.new_context(
        locale="de-DE", viewport={"width": 1024, "height": 768}, has_touch=True
    )
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    login_browser(opened, live[0].url)
    yield opened
    context.close()


def act(page: Page, card: str, button: str) -> None:
    """Press a button inside the page figure ``card`` (e.g. ``page-2``)."""
    page.get_by_test_id(card).get_by_role("button", name=button).click()


def test_operator_works_a_batch_from_scan_to_delivery(
    live: tuple[LiveStation, LiveMarketplace], page: Page
) -> None:
    """GIVEN a station with six sheets in its input folder and a running marketplace
    WHEN the operator starts a batch, rearranges the two-page hearing, sets the
    office of the letter no rule knows and approves all three documents
    THEN progress is shown while it runs, each document has thumbnails and a
    decision with confidence, each approval says "fertig", the outbox delivers all
    three and the marketplace stores each exactly once."""
    station, market = live
    page.goto(station.url)
    screenshot(page, "station-01-start")
    page.get_by_role("button", name="Stapel starten").click()
    expect(page.get_by_role("progressbar")).to_be_visible()
    screenshot(page, "station-02-progress")
    expect(page.get_by_test_id("batch-status")).to_contain_text(
        "Fertig: 6 Seiten erfasst, 3 Dokumente", timeout=120_000
    )
    cards = page.locator("article.card")
    expect(cards).to_have_count(3)
    thumbs_loaded = page.eval_on_selector_all(
        "article.card img.thumb", "imgs => imgs.every(i => i.naturalWidth > 0)"
    )
    assert thumbs_loaded
    expect(cards.nth(0)).to_contain_text("Bauordnungsamt")
    expect(cards.nth(0)).to_contain_text("95 %")
    expect(cards.nth(2)).to_contain_text("Prüfung nötig")
    screenshot(page, "station-03-batch")

    cards.nth(1).get_by_role("link", name=re.compile(r"^Dokument \d+$")).click()
    hearing_url = page.url
    expect(page.get_by_test_id("office")).to_contain_text("Ordnungsamt")
    first = page.get_by_test_id("page-1").locator("figcaption")
    expect(first).to_contain_text("Scan 3")
    act(page, "page-1", "▼ Nach hinten")
    expect(page.get_by_test_id("page-1").locator("figcaption")).to_contain_text(
        "Scan 4"
    )
    act(page, "page-2", "Hier teilen")
    expect(page.get_by_role("status")).to_contain_text("Geteilt")
    expect(page.locator("figure.page")).to_have_count(1)
    page.get_by_role("button", name="Mit nächstem zusammenführen").click()
    expect(page.locator("figure.page")).to_have_count(2)
    screenshot(page, "station-04-document")
    page.get_by_role("button", name="Freigeben").click()
    expect(page.get_by_role("status")).to_contain_text("im Postausgang – fertig")

    page.goto(f"{station.url}/pruefung")
    expect(page.locator("article.card")).to_have_count(2)
    page.locator("article.card").filter(has_text="Prüfung nötig").get_by_role(
        "link", name=re.compile(r"^Dokument \d+$")
    ).click()
    page.get_by_test_id("office-select").select_option("steueramt")
    page.get_by_role("button", name="Amt ändern").click()
    expect(page.get_by_test_id("office")).to_contain_text("Steueramt")
    page.get_by_role("button", name="Freigeben").click()
    expect(page.get_by_role("status")).to_contain_text("fertig")
    page.locator("article.card").get_by_role(
        "link", name=re.compile(r"^Dokument \d+$")
    ).click()
    page.get_by_role("button", name="Freigeben").click()
    expect(page.get_by_test_id("queue-empty")).to_be_visible()
    screenshot(page, "station-05-queue-empty")

    wait_for(lambda: market.counts()[0] == 3, 60, "three documents at the intake")
    page.goto(f"{station.url}/postausgang")
    expect(page.get_by_test_id("outbox-counts")).to_contain_text("zugestellt 3")
    rows, distinct, _ = market.counts()
    assert (rows, distinct) == (3, 3)
    assert hearing_url.endswith("/dokumente/2")


def test_dead_letters_are_shown_and_retried_and_rules_are_checked(
    live: tuple[LiveStation, LiveMarketplace], page: Page, tmp_path: Path
) -> None:
    """GIVEN a document in the outbox whose file name the marketplace refuses
    WHEN the operator opens the outbox, retries it, and then saves rules that name
    an office that does not exist
    THEN the dead letter shows the German reason and goes back in line; the rules
    are refused with the place of the mistake and the file stays unchanged."""
    station, _ = live
    pdf = tmp_path / "brief.pdf"
    pdf.write_bytes(letter_pdf(42))
    outbox = Outbox(station.folder / "postausgang")
    meta = DocumentMetadata(appliance_id="x", filename="brief.txt", page_count=1)
    outbox.commit(pdf, meta)
    wait_for(lambda: outbox.counts()[State.DEAD] == 1, 30, "a dead letter")
    page.goto(f"{station.url}/postausgang")
    dead = page.get_by_test_id("dead-letters")
    expect(dead).to_contain_text("Marktplatz lehnt ab (400)")
    screenshot(page, "station-06-dead-letter")
    dead.get_by_role("button", name="Erneut versuchen").click()
    expect(page.get_by_role("status")).to_contain_text("Erneut in die Zustellung")

    rules = station.folder / "rules.toml"
    before = rules.read_text(encoding="utf-8")
    page.goto(f"{station.url}/regeln")
    text = page.get_by_test_id("rules-text")
    text.fill(before.replace('office = "bauamt"', 'office = "gartenamt"'))
    page.get_by_role("button", name="Regeln speichern").click()
    expect(page.get_by_role("alert")).to_contain_text(
        "file_reference[0].office: Unbekanntes Amt „gartenamt“"
    )
    screenshot(page, "station-07-rules-error")
    assert rules.read_text(encoding="utf-8") == before
    page.get_by_test_id("rules-text").fill(before.replace("0.75", "0.7"))
    page.get_by_role("button", name="Regeln speichern").click()
    expect(page.get_by_role("status")).to_contain_text("Regeln gespeichert")
    assert "threshold = 0.7\n" in rules.read_text(encoding="utf-8")


def test_an_id_copy_is_held_and_redacted_from_the_page(
    live: tuple[LiveStation, LiveMarketplace], page: Page
) -> None:
    """GIVEN an ID card copy with a routing code for the Bürgeramt in the input
    folder; the Bürgeramt wants CAN and photo blacked out
    WHEN the operator scans it, opens the document and presses "Ausweis schwärzen"
    THEN the card says "Kopie eines Ausweisdokuments" and "Prüfung nötig", the
    document page offers the redaction, which says what was blacked out, marks
    the document as redacted and is not offered again; the new PDF verifies."""
    station, _ = live
    save_id_copy(station.folder / "eingang" / "ausweis.png", 150, code="ROUTE-BA")
    page.goto(station.url)
    page.get_by_role("button", name="Stapel starten").click()
    expect(page.get_by_test_id("batch-status")).to_contain_text(
        "Fertig: 1 Seiten erfasst, 1 Dokumente", timeout=120_000
    )
    card = page.locator("article.card")
    expect(card).to_contain_text("Kopie eines Ausweisdokuments")
    expect(card).to_contain_text("Prüfung nötig")
    card.get_by_role("link", name=re.compile(r"^Dokument \d+$")).click()
    expect(page.get_by_test_id("id-copy")).to_be_visible()
    screenshot(page, "station-08-id-copy")
    page.get_by_role(
        "button", name="Ausweis schwärzen: Zugangsnummer, Lichtbild"
    ).click()
    expect(page.get_by_role("status")).to_contain_text(
        "Geschwärzt: Zugangsnummer, Lichtbild (Seite 1)."
    )
    expect(page.get_by_test_id("redacted")).to_be_visible()
    expect(
        page.get_by_role("button", name=re.compile("Ausweis schwärzen"))
    ).to_have_count(0)
    screenshot(page, "station-09-id-copy-redacted")
    pdfs = sorted((station.folder / "daten" / "documents").glob("*/*.pdf"))
    newest = max(pdfs, key=lambda p: p.stat().st_mtime)
    assert verify_pdf(newest).ok
