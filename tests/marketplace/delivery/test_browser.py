"""The delivery pages in headless Chromium against a real ``marketplace serve
--seed-demo`` process: Dresden's routes, a Testzustellung to its drop folder
route with the receipt shown, and the transfer log. Screenshots are kept in
``test-artifacts/``."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import chromium, screenshot
from tests.support.processes import start_marketplace

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Page, str]]:
    folder = tmp_path_factory.mktemp("delivery-browser")
    live, base = start_marketplace(folder / "demo.sqlite3", folder / "server.log")
    try:
        with chromium() as browser:
            context = browser.new_context(
                locale="de-DE", viewport={"width": 1400, "height": 900}
            )
            opened = context.new_page()
            opened.set_default_timeout(15_000)
            yield opened, base
            context.close()
    finally:
        live.stop()


def test_municipality_tests_a_route_and_reads_the_log(page: tuple[Page, str]) -> None:
    """GIVEN the demo marketplace and Dresden's buyer
    WHEN she opens "Routen und Postausgang" from her dashboard and presses
    "Testzustellung" on the drop folder route
    THEN the five demo routes are listed with their receiver state, the test
    delivery shows up as delivered with its receipt, and the transfer log page
    lists it with its purpose."""
    browser_page, base = page
    browser_page.goto(f"{base}/anmelden")
    browser_page.fill("#login", "dresden-einkauf")
    browser_page.fill("#password", "demo-dresden")
    browser_page.click("button[type=submit]")
    browser_page.goto(f"{base}/kommune")
    browser_page.click("text=Routen und Postausgang")
    expect(browser_page.locator("tr.route")).to_have_count(5)
    expect(browser_page.locator("tr.route td.breaker").first).to_be_visible()
    row = browser_page.locator("tr.route", has_text="DMS-Nachtimport")
    row.locator("button.test-delivery").click()
    delivered = browser_page.locator(
        "tr.outbox-item[data-state=delivered]", has_text="Testzustellung"
    )
    deadline = time.monotonic() + 20
    while delivered.count() == 0 and time.monotonic() < deadline:
        time.sleep(0.3)
        browser_page.reload()
    expect(delivered).to_have_count(1)
    expect(delivered.locator("summary")).to_contain_text("Quittung")
    screenshot(browser_page, "delivery-01-routen-testzustellung")
    browser_page.click("text=Übermittlungsprotokoll")
    expect(
        browser_page.locator(
            "tr.log-entry", has_text="Testzustellung (Prüfung der Route)"
        )
    ).to_have_count(1)
    expect(browser_page.locator("a.export-csv")).to_be_visible()
    screenshot(browser_page, "delivery-02-protokoll")
