"""The station's pages in-process: every page renders in German, the eID page is
mounted when configured, a mistaken settings file is refused in German."""

from __future__ import annotations

from pathlib import Path

import pytest
from litestar.testing import TestClient

from appliance.station.app import create_app
from appliance.station.settings import SettingsError, load_settings

from .letters import station_folder
from .login import login_client

EID = """
[eid]
sdk_url = "ws://127.0.0.1:9/eID-Kernel"

[[eid.services]]
id = "meldebescheinigung"
name = "Meldebescheinigung"
tc_token_url = "https://eid.example/tcToken"
recipient = "dms:posteingang-33"
purpose = "Ausstellung einer Meldebescheinigung"
legal_basis = "§ 18 BMG"
attributes = ["FamilyName", "GivenNames"]
"""


def test_pages_render_and_eid_is_mounted(tmp_path: Path) -> None:
    """GIVEN station settings with an eID service
    WHEN each page is requested
    THEN all answer 200 in German and the navigation offers "Bürger identifizieren"
    which opens the eID desk."""
    settings = station_folder(tmp_path)
    settings.write_text(settings.read_text() + EID, encoding="utf-8")
    with TestClient(create_app(load_settings(settings))) as client:
        login_client(client)
        for url, text in [
            ("/", "Neuen Stapel starten"),
            ("/pruefung", "Keine offenen Dokumente"),
            ("/postausgang", "Unzustellbar"),
            ("/regeln", "Routing-Regeln"),
            ("/dokumente/99", "Dieses Dokument gibt es nicht"),
        ]:
            answer = client.get(url)
            assert answer.status_code == 200, url
            assert text in answer.text, url
            assert "Bürger identifizieren" in answer.text
        desk = client.get("/eid/")
        assert desk.status_code == 200
        assert "<h1>Bürger identifizieren</h1>" in desk.text
        assert "Meldebescheinigung" in desk.text


def test_without_eid_settings_there_is_no_eid_page(tmp_path: Path) -> None:
    """GIVEN settings without an [eid] section
    WHEN /eid/ is requested
    THEN 404, and the navigation does not offer it."""
    with TestClient(create_app(load_settings(station_folder(tmp_path)))) as client:
        login_client(client)
        assert client.get("/eid/").status_code == 404
        assert "Bürger identifizieren" not in client.get("/").text


def test_a_mistaken_settings_file_is_refused_in_german(tmp_path: Path) -> None:
    """GIVEN a settings file with an unknown key, and none at all
    WHEN loaded
    THEN a SettingsError names the file."""
    settings = station_folder(tmp_path)
    settings.write_text(settings.read_text() + "\nfarbe = 'blau'\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="ungültig"):
        load_settings(settings)
    with pytest.raises(SettingsError, match="fehlt"):
        load_settings(tmp_path / "nichts.toml")
