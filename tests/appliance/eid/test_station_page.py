""" "Bürger identifizieren" on the station page, in headless Chromium against a
real ``appliance serve``: the reader list comes from the real pcscd with the vpcd
reader and our emulated ID card; the flow starts against the real AusweisApp,
which fetches the TC token from the local eID-service stub and opens the TLS
connection to its eID server, where a state-certified eID server would be
needed. From there AusweisApp's side is replayed from the recorded SDK messages
in ``recordings/station-online.json`` (access rights, PIN, result); the station
reaches both through a WebSocket relay (``relay.py``) set to the real AusweisApp
first and to the replay second. The page, the desk, the result fetch from the
stub, the batch sidecar and the transfer log are real.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from appliance.eid import messages
from appliance.eid.ausweisapp import AusweisAppProcess
from tests.appliance.eid.daemons import Pcscd
from tests.appliance.eid.eidservice_stub import EidServiceStub
from tests.appliance.eid.relay import SdkRelay
from tests.appliance.eid.replay import Replay
from tests.appliance.eid.test_pcsc import CARD_ACCESS, NPA_ATR
from tests.appliance.eid.vicc import VirtualCard
from tests.appliance.station.letters import DOG, letter, station_folder
from tests.appliance.station.login import login_browser
from tests.support.browser import chromium, screenshot
from tests.support.processes import VENV_BIN, LiveProcess, free_port

pytestmark = [pytest.mark.browser, pytest.mark.slow]

RESULT = {
    "FamilyName": "MUSTERMANN",
    "GivenNames": "ERIKA",
    "Address": {
        "street": "HEIDESTRASSE 17",
        "zipCode": "51147",
        "city": "KÖLN",
        "country": "D",
    },
    "AgeVerification": True,
    "DateOfBirth": "1964-08-12",
}


def eid_section(relay: SdkRelay, stub: EidServiceStub) -> str:
    return f"""
[eid]
sdk_url = "{relay.url}"
timeout_seconds = 10

[[eid.services]]
id = "wohngeld"
name = "Wohngeld"
tc_token_url = "{stub.base}/tcToken?session=R1"
result_url = "{stub.base}/result"
developer_mode = true
recipient = "fv-wohngeld"
purpose = "Antrag auf Wohngeld"
legal_basis = "§ 23 WoGG"
attributes = ["FamilyName", "GivenNames", "Address", "AgeVerification"]
"""


@pytest.fixture
def card(running_pcscd: Pcscd) -> Iterator[VirtualCard]:
    """Our emulated ID card on the first vpcd slot."""
    placed = VirtualCard(running_pcscd.port, NPA_ATR, {0x011C: CARD_ACCESS}).insert()
    yield placed
    placed.remove()


def test_operator_identifies_a_citizen_for_a_batch(
    ausweisapp: AusweisAppProcess,
    card: VirtualCard,
    tmp_path: Path,
) -> None:
    """GIVEN a station with an [eid] section, a scanned batch, the emulated ID card
    on the vpcd reader and the real AusweisApp behind the station's SDK address
    WHEN the operator starts the identification for the batch (AusweisApp gets as
    far as the eID server), then again with the replayed eID server side,
    deselects the optional given names, the citizen types the PIN and the
    operator confirms what will be transmitted
    THEN the page shows the card on the reader, AusweisApp's German failure, the
    access rights, exactly name, address and "over 18: yes" for review, and the
    batch page the identification; the batch folder holds exactly those
    attributes and the transfer log one entry for each."""
    with EidServiceStub() as stub, SdkRelay() as relay:
        stub.results["R1"] = {"attributes": RESULT}
        replay = Replay(
            "station-online",
            tc=f"{stub.base}/tcToken?session=R1",
            refresh=f"{stub.base}/refresh?refID=R1",
        )
        asyncio.run(replay.__aenter__())
        relay.target = ausweisapp.url
        port = free_port()
        settings = station_folder(tmp_path / "station", auto_commit=False, port=port)
        settings.write_text(
            settings.read_text() + eid_section(relay, stub), encoding="utf-8"
        )
        letter(tmp_path / "station" / "eingang", "hund.png", DOG, 6)
        station = LiveProcess(
            [str(VENV_BIN / "appliance"), "serve", "--settings", str(settings)],
            tmp_path / "station.log",
            {},
        )
        url = f"http://127.0.0.1:{port}"
        try:
            station.wait_http(f"{url}/anmelden")
            with chromium() as browser:
                page = browser.new_page(locale="de-DE")
                page.set_default_timeout(15_000)
                login_browser(page, url)
                batch = scan_a_batch(page, url)
                identify(page, url, batch, stub, relay, replay)
        finally:
            station.stop()
            asyncio.run(replay.__aexit__())
    assert replay.finished, replay.deviations
    assert relay.relayed == [ausweisapp.url, replay.url]
    folder = tmp_path / "station" / "daten" / "documents" / batch
    kept = json.loads((folder / "eid" / "identified-submission.json").read_bytes())
    assert [a["name"] for a in kept["attributes"]] == [
        "FamilyName",
        "Address",
        "AgeVerification",
    ]
    assert kept["level"] == "hoch"
    log = tmp_path / "station" / "zustand" / "eid-transfer-log.jsonl"
    entries = [json.loads(line) for line in log.read_text().splitlines()]
    assert sorted(e["data_fields"][0] for e in entries) == [
        "Address",
        "AgeVerification",
        "FamilyName",
    ]


def scan_a_batch(page: Page, url: str) -> str:
    page.goto(url)
    page.get_by_role("button", name="Stapel starten").click()
    expect(page.get_by_test_id("batch-status")).to_contain_text(
        "Fertig", timeout=60_000
    )
    return page.url.rsplit("/", 1)[-1]


def identify(
    page: Page,
    url: str,
    batch: str,
    stub: EidServiceStub,
    relay: SdkRelay,
    replay: Replay,
) -> None:
    page.get_by_role("link", name="Bürger zu diesem Stapel identifizieren").click()
    expect(page.locator("#lesegeraete")).to_contain_text(
        "Virtual PCD 00 00: Karte aufgelegt: Personalausweis"
    )
    expect(page.get_by_label("Stapel")).to_have_value(batch)
    screenshot(page, "eid-01-reader")
    page.get_by_role("button", name="Identifizierung beginnen").click()
    expect(page.locator("#ergebnis-fehler")).to_have_text(messages.NETWORK)
    assert stub.requests[0] == "/tcToken?session=R1"
    assert stub.client_hellos[0][:1] == b"\x16"  # AusweisApp opened TLS there
    screenshot(page, "eid-02-no-eid-server")

    relay.target = replay.url
    page.get_by_label("Stapel").fill(batch)
    page.get_by_role("button", name="Identifizierung beginnen").click()
    rights = page.locator("#datenfelder")
    expect(rights).to_contain_text("Familienname")
    expect(rights).to_contain_text("Pflichtangabe")
    rights.locator("input[value=GivenNames]").uncheck()
    screenshot(page, "eid-03-access-rights")
    page.get_by_role("button", name="Bürger hat zugestimmt – weiter").click()
    expect(page.locator("#aufforderung")).to_have_text(
        messages.PROMPTS["ENTER_PIN"], timeout=15_000
    )
    page.get_by_label("Geheimzahl").fill("123456")
    page.get_by_role("button", name="Bestätigen").click()
    shown = page.locator("#uebermittlung")
    expect(shown).to_contain_text("Familienname")
    expect(shown).to_contain_text("HEIDESTRASSE 17, 51147 KÖLN")
    expect(shown).to_contain_text("Altersbestätigung (nur ja/nein)")
    expect(shown.locator("tr")).to_have_count(4)  # header + exactly three
    for hidden in ("ERIKA", "1964"):
        expect(page.locator("body")).not_to_contain_text(hidden)
    screenshot(page, "eid-04-review")
    page.get_by_role("button", name="Übermittlung bestätigen").click()
    expect(page.locator("#erledigt")).to_contain_text(f"Stapel {batch} beigefügt")
    page.goto(f"{url}/stapel/{batch}")
    expect(page.get_by_test_id("identified")).to_contain_text(
        "Familienname, Anschrift, Altersbestätigung (nur ja/nein)"
    )
    screenshot(page, "eid-05-batch")
