"""The fleet pages end to end in headless Chromium against a real ``marketplace
serve`` process with the demo data: an operator registers a station, gets its
enrolment token once, the station enrols and beats with the appliance's own code,
runs and drift reports are started from the pages and followed live, a version is
rolled out to one group and then to the rest; users without the role are refused.

Runs execute real Ansible (ansible-runner) with the small project of
``tests/marketplace/fleet/project``: every station is a folder on this machine
(local connection) and the play writes the release it is given into it.
Screenshots are kept in ``test-artifacts/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from appliance import heartbeat
from appliance.enrolment import StationSettings, enrol
from appliance.outbox import DocumentMetadata, Outbox
from tests.marketplace.fleet.conftest import DRESDEN, LEIPZIG, PROJECT
from tests.marketplace.web.test_browser_flows import login
from tests.support.browser import chromium, screenshot
from tests.support.processes import start_marketplace

pytestmark = pytest.mark.browser


class Fleet:
    """The live marketplace, a folder for the stations, and the operator's token
    for setting up stations quickly over the JSON API where the page is not what
    a test is about."""

    def __init__(self, base: str, folder: Path) -> None:
        self.base = base
        self.folder = folder
        answer = httpx.post(
            f"{base}/api/v1/auth/tokens",
            json={"login": "betrieb", "password": "demo-betrieb"},
        )
        self.operator = {"Authorization": f"Bearer {answer.json()['token']}"}

    def station_folder(self, name: str) -> Path:
        folder = self.folder / "stations" / name
        folder.mkdir(parents=True, exist_ok=True)
        return folder

    def register(self, name: str, *, group: str, ags: str = LEIPZIG) -> Any:
        answer = httpx.post(
            f"{self.base}/api/v1/fleet/appliances",
            json={
                "name": name,
                "municipality_ags": ags,
                "hardware_kind": "pc",
                "rollout_group": group,
                "connection": "local",
                "address": str(self.station_folder(name)),
            },
            headers=self.operator,
        )
        assert answer.status_code == 201, answer.text
        return answer.json()


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    folder = tmp_path_factory.mktemp("fleet-browser")
    live, base = start_marketplace(
        folder / "demo.sqlite3",
        folder / "server.log",
        env={
            "MARKETPLACE_FLEET_PROJECT_DIR": str(PROJECT),
            "MARKETPLACE_FLEET_PLAYBOOK": "watched.yml",
        },
    )
    yield Fleet(base, folder)
    live.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(
        locale="de-DE", viewport={"width": 1400, "height": 900}
    )
    opened = context.new_page()
    opened.set_default_timeout(20_000)
    yield opened
    context.close()


def release(folder: Path) -> str | None:
    path = folder / "release"
    return path.read_text() if path.exists() else None


def station_row(page: Page, name: str) -> Any:
    return page.locator(f"tr.station[data-station='{name}']")


def test_register_token_once_enrol_beat_and_revoke(page: Page, fleet: Fleet) -> None:
    """GIVEN the operator on the fleet page WHEN a station is registered in the form
    and a token is made on its page THEN the token and its expiry are shown, and a
    reload shows the station page without it; WHEN the station enrols with that
    token and sends a heartbeat (appliance code, one dead letter in its outbox)
    THEN the overview shows it enrolled under Leipzig with its versions, free disk,
    outbox depth and the dead letter highlighted; WHEN it is revoked after the
    confirmation step THEN its next heartbeat is refused."""
    login(page, fleet.base, "betrieb", "demo-betrieb")
    page.click("header nav >> text=Stationen")
    expect(page.locator("h1")).to_have_text("Scanstationen")
    page.fill("#name", "leipzig-poststelle-1")
    page.fill("#municipality_ags", LEIPZIG)
    page.select_option("#hardware_kind", "pc")
    page.fill("#rollout_group", "poststelle")
    page.select_option("#connection", "local")
    page.fill("#address", str(fleet.station_folder("leipzig-poststelle-1")))
    page.click("form.register-station button")
    expect(page.locator("h1")).to_contain_text("leipzig-poststelle-1")
    expect(page.locator("h1 .badge")).to_have_text("wartet auf Anmeldung")
    station_url = page.url

    page.fill("#valid_hours", "2")
    page.click("form.issue-token button")
    token = page.locator("#token").inner_text()
    assert re.fullmatch(r"mpe_[A-Za-z0-9_-]{20,}", token), token
    expect(page.locator(".expires")).to_have_text(re.compile(r"\d\d\.\d\d\.\d{4}"))
    expect(page.locator("pre.command").first).to_contain_text(
        f"scanstation_enrolment_token={token}"
    )
    screenshot(page, "flotte-01-anmeldetoken")
    page.reload()
    assert page.url == station_url
    expect(page.locator("h1")).to_contain_text("leipzig-poststelle-1")
    assert token not in page.content()

    state = fleet.folder / "state-poststelle-1"
    settings = StationSettings(
        marketplace_url=fleet.base,
        municipality_ags=LEIPZIG,
        state_dir=state,
        outbox_dir=state / "outbox",
    )
    credential, new = enrol(settings, token)
    assert new
    outbox = Outbox(settings.outbox_dir)
    for number in (1, 2):
        letter = fleet.folder / f"brief-{number}.pdf"
        letter.write_bytes(f"%PDF-1.4 Brief {number}".encode())
        entry = outbox.commit(
            letter,
            DocumentMetadata(
                appliance_id=credential.name, filename=letter.name, page_count=1
            ),
        )
    outbox.mark_failed(entry.sha256, "Empfänger lehnt ab", retry_in=None)
    assert heartbeat.run(settings, once=True) == 0

    page.goto(f"{fleet.base}/flotte")
    section = page.locator(f"section.municipality[data-ags='{LEIPZIG}']")
    expect(section.locator("h2")).to_contain_text("Leipzig")
    row = station_row(section, "leipzig-poststelle-1")
    expect(row).to_have_attribute("data-state", "enrolled")
    expect(row.locator(".badge").first).to_have_text("angemeldet")
    tesseract = row.locator("dd.tesseract .version")
    expect(tesseract).to_have_text(re.compile(r"^\d+\.\d+"))
    expect(tesseract).to_have_attribute("title", re.compile(r"^tesseract "))
    scanner = row.locator("dd.scanner .version")
    expect(scanner).to_have_attribute("title", re.compile("sane-backends"))
    expect(row.locator("dd.ausweisapp .version")).to_have_text(re.compile(r"^\d"))
    expect(row.locator("td.disk")).to_contain_text("GB")
    expect(row.locator("td.outbox")).to_have_text("1")
    expect(row.locator("td.dead-letters.alert")).to_have_text("1")
    expect(row.locator("td.heartbeat")).not_to_contain_text("überfällig")
    screenshot(page, "flotte-02-uebersicht")

    page.goto(station_url)
    page.click("text=Station sperren …")
    expect(page.locator("h1")).to_contain_text("sperren?")
    page.click("#confirm-revoke")
    expect(page.locator("h1 .badge")).to_have_text("gesperrt")
    assert heartbeat.run(settings, once=True) == heartbeat.REFUSED_EXIT


def test_run_live_result_and_drift_report(page: Page, fleet: Fleet) -> None:
    """GIVEN two stations of group "messe" WHEN the operator starts a run for the
    group on the runs page THEN the run's page shows its events as they arrive
    (appended by the page's script while the run is going), then the stored result
    per station (changed); WHEN one station's release file is edited by hand and a
    drift report is started from that station's page THEN the report names the
    task that would change it, and the file is left as edited."""
    first = fleet.register("messe-scan-1", group="messe")
    fleet.register("messe-scan-2", group="messe")
    login(page, fleet.base, "betrieb", "demo-betrieb")
    page.click("header nav >> text=Läufe")
    page.select_option("#ziel", "gruppe:messe")
    page.click("form.start-run button")
    expect(page.locator("h1")).to_contain_text("Provisionierung – Lauf")
    page.wait_for_selector("tr.event.live", state="attached")
    screenshot(page, "flotte-03-lauf-live")
    results = page.locator("tr.host-result")
    expect(results).to_have_count(2)
    expect(page.locator("#run-state")).to_have_attribute("data-state", "succeeded")
    for name in ("messe-scan-1", "messe-scan-2"):
        expect(page.locator(f"tr.host-result[data-host='{name}']")).to_have_attribute(
            "data-verdict", "changed"
        )
    expect(page.locator("tr.event[data-outcome='changed']")).to_have_count(2)
    screenshot(page, "flotte-04-lauf-ergebnis")

    folder = Path(first["address"])
    assert release(folder) == "0.1.0\n"
    (folder / "release").write_text("von Hand geändert\n")
    page.goto(f"{fleet.base}/flotte/stationen/{first['id']}")
    page.click("form.start-drift button")
    expect(page.locator("h1")).to_contain_text("Drift-Bericht – Lauf")
    drift = page.locator("tr.drift-item")
    expect(drift).to_have_count(1)
    expect(drift).to_have_attribute("data-host", "messe-scan-1")
    expect(drift).to_contain_text("Write the installed release")
    screenshot(page, "flotte-05-drift")
    assert release(folder) == "von Hand geändert\n"


def test_rollout_to_one_group_then_the_rest(page: Page, fleet: Fleet) -> None:
    """GIVEN a station in group "pilot" and others outside it WHEN the operator
    rolls version 0.2.0 out to "pilot" THEN only the pilot station gets it and the
    rollout waits, ready for the rest; WHEN it is extended THEN every other station
    that is not revoked gets 0.2.0 and the rollout is completed."""
    pilot = fleet.register("pilot-scan-1", group="pilot")
    other = fleet.register("rest-scan-1", group="rest")
    login(page, fleet.base, "betrieb", "demo-betrieb")
    page.click("header nav >> text=Rollouts")
    page.fill("#version", "0.2.0")
    page.select_option("#gruppe", "pilot")
    page.click("form.start-rollout button")
    state = page.locator(".rollout-state")
    expect(state).to_have_attribute("data-state", "ready")
    assert release(Path(pilot["address"])) == "0.2.0\n"
    assert release(Path(other["address"])) is None
    screenshot(page, "flotte-06-rollout-erste-gruppe")

    page.click("form.continue-rollout button")
    expect(state).to_have_attribute("data-state", "completed")
    expect(page.locator("tr.stage")).to_have_count(2)
    assert release(Path(other["address"])) == "0.2.0\n"
    screenshot(page, "flotte-07-rollout-abgeschlossen")
    page.goto(f"{fleet.base}/flotte")
    expect(station_row(page, "rest-scan-1").locator("td.software")).to_contain_text(
        "Ziel 0.2.0"
    )


def test_users_without_the_role_are_refused(browser: Browser, fleet: Fleet) -> None:
    """GIVEN a Leipzig and a Dresden station WHEN Leipzig's buyer opens the fleet
    THEN only Leipzig's stations show, without forms, and the runs page is refused;
    WHEN a provider's admin opens it THEN no navigation entry and a refusal."""
    fleet.register("leipzig-buero-9", group="buero")
    fleet.register("dresden-buero-9", group="buero", ags=DRESDEN)
    buyer = browser.new_context(locale="de-DE").new_page()
    login(buyer, fleet.base, "leipzig-einkauf", "demo-leipzig")
    buyer.click("header nav >> text=Stationen")
    expect(station_row(buyer, "leipzig-buero-9")).to_have_count(1)
    expect(station_row(buyer, "dresden-buero-9")).to_have_count(0)
    expect(buyer.locator("section.municipality")).to_have_count(1)
    expect(buyer.locator("form.register-station")).to_have_count(0)
    buyer.click("text=leipzig-buero-9")
    expect(buyer.locator("h1")).to_contain_text("leipzig-buero-9")
    expect(buyer.locator("form")).to_have_count(1)  # the log-out button only
    answer = buyer.goto(f"{fleet.base}/flotte/laeufe")
    assert answer is not None
    assert answer.status == 403
    expect(buyer.locator("h1")).to_have_text("Keine Berechtigung")
    screenshot(buyer, "flotte-08-kommune-ohne-laeufe")

    provider = browser.new_context(locale="de-DE").new_page()
    login(provider, fleet.base, "lecos-admin", "demo-lecos")
    expect(provider.locator("header nav >> text=Stationen")).to_have_count(0)
    answer = provider.goto(f"{fleet.base}/flotte")
    assert answer is not None
    assert answer.status == 403
