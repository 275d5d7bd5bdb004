"""End to end in headless Chromium against a real ``marketplace serve`` process
with the demo data: search, calculate, request, sign, subscribe; and the
provider's side of a manually handled contract. Screenshots are kept in
``test-artifacts/``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import chromium, screenshot
from tests.support.processes import start_marketplace

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("browser")
    live, base = start_marketplace(folder / "demo.sqlite3", folder / "server.log")
    yield base
    live.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        locale="de-DE", viewport={"width": 1280, "height": 900}
    )
    opened = context.new_page()
    opened.set_default_timeout(15_000)
    yield opened
    context.close()


def login(page: Page, base: str, user: str, password: str) -> None:
    page.goto(f"{base}/anmelden")
    page.fill("#login", user)
    page.fill("#password", password)
    page.click("button[type=submit]")


def test_search_calculate_subscribe_and_sign(page: Page, server: str) -> None:
    """GIVEN the demo marketplace WHEN a visitor searches "Parkausweis", filters by
    Land, calculates the cost for Leipzig, then logs in as Leipzig, requests the
    Lecos contract, signs it and subscribes THEN the contract is active (Lecos
    countersigns automatically), the subscription and the yearly cost are on the
    dashboard."""
    page.goto(server)
    page.fill("#q", "Parkausweis")
    page.click("form.search button")
    expect(page.locator("#treffer")).to_contain_text("für „Parkausweis“")
    assert page.locator("article.result").count() == 5
    page.click("ul[data-facet=land] >> text=Sachsen")
    assert page.locator("article.result").count() == 4
    screenshot(page, "01-katalog-suche")

    page.click("article.result >> nth=0 >> .meta a")
    expect(page.locator("h1")).to_contain_text("parkausweis")
    page.select_option("#ags", "14713000")
    page.fill("#faelle", "1500")
    page.click("form.calculator button")
    totals = page.locator("th.annual-total")
    assert totals.count() >= 2
    assert all(re.fullmatch(r"[\d.]+,\d\d €", t) for t in totals.all_inner_texts())
    screenshot(page, "02-kostenrechner-leipzig")
    page.click("text=nebeneinander vergleichen")
    assert page.locator("table.compare thead th").count() >= 3
    screenshot(page, "03-vergleich")

    login(page, server, "leipzig-einkauf", "demo-leipzig")
    expect(page.locator("h1")).to_have_text("Leipzig")
    page.goto(server + "/?q=Bewohnerparkausweis&provider=lecos")
    expect(page.locator("p.my-price").first).to_contain_text("Ihre Kosten")
    page.click("article.result >> nth=0 >> h3 a")
    page.click("text=Vertrag anfordern")
    expect(page.locator(".contract-state")).to_have_attribute("data-state", "offered")
    screenshot(page, "04-vertrag-angeboten")
    page.click("button[data-action=sign]")
    expect(page.locator(".contract-state")).to_have_attribute("data-state", "active")
    expect(page.locator("text=unverändert")).to_be_visible()

    page.select_option("#environment", "production")
    page.fill("#endpoint_url", "https://ordnungsamt.leipzig.example/eingang")
    page.fill("#fachverfahren", "OK.VERKEHR")
    page.click("text=Abonnement anlegen")
    expect(page.locator("tr.subscription")).to_have_count(1)
    screenshot(page, "05-vertrag-aktiv-abonniert")
    page.goto(server + "/kommune")
    expect(page.locator("tr.subscription")).to_have_count(1)
    assert page.locator(".yearly-total").inner_text() != "0,00 €"
    screenshot(page, "06-dashboard-kommune")


def test_provider_offers_and_countersigns_by_hand(
    browser: Browser, server: str
) -> None:
    """GIVEN Dataport handles contracts by hand WHEN Köln requests a Dataport offer
    THEN Dataport sees it waiting, offers it; Köln signs; Dataport countersigns and
    activates; its dashboard shows the revenue by cost component."""
    koeln = browser.new_context(locale="de-DE").new_page()
    dataport = browser.new_context(locale="de-DE").new_page()
    login(koeln, server, "koeln-einkauf", "demo-koeln")
    koeln.goto(server + "/?provider=dataport&q=Fahrerlaubnis")
    koeln.click("article.result >> nth=0 >> h3 a")
    koeln.click("text=Vertrag anfordern")
    expect(koeln.locator(".contract-state")).to_have_attribute("data-state", "draft")
    contract_url = koeln.url

    login(dataport, server, "dataport-admin", "demo-dataport")
    expect(dataport.locator("h1")).to_contain_text("Dataport")
    dataport.locator("li", has_text="Köln").locator("a").first.click()
    dataport.click("button[data-action=offer]")
    expect(dataport.locator(".contract-state")).to_have_attribute(
        "data-state", "offered"
    )

    koeln.goto(contract_url)
    koeln.click("button[data-action=sign]")
    expect(koeln.locator(".contract-state")).to_have_attribute("data-state", "signed")

    dataport.goto(contract_url)
    dataport.click("button[data-action=countersign]")
    dataport.click("button[data-action=activate]")
    expect(dataport.locator(".contract-state")).to_have_attribute(
        "data-state", "active"
    )
    assert dataport.locator("table tbody tr").count() == 5  # request .. activate
    dataport.goto(server + "/anbieter")
    expect(dataport.locator("tr.revenue").first).to_be_visible()
    screenshot(dataport, "07-dashboard-anbieter")


def test_screenshots_were_written() -> None:
    """The artifacts the flows above promise exist (run after them in this module)."""
    folder = Path(__file__).resolve().parents[3] / "test-artifacts"
    assert (folder / "05-vertrag-aktiv-abonniert.png").stat().st_size > 10_000
