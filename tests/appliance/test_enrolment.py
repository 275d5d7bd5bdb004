"""The station side of enrolment and heartbeats, against a real marketplace process
(``marketplace serve`` with the demo data on loopback)."""

from __future__ import annotations

import contextlib
import json
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from appliance import heartbeat
from appliance.enrolment import (
    CREDENTIAL_FILE,
    KEY_FILE,
    EnrolmentError,
    EnrolmentRefused,
    MarketplaceUnreachable,
    StationSettings,
    enrol,
    load_credential,
    main,
)
from appliance.outbox import DocumentMetadata, Outbox
from tests.support.processes import free_port, start_marketplace

LEIPZIG = "14713000"


@pytest.fixture(scope="module")
def marketplace(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A live marketplace with the demo accounts; the operator's bearer header."""
    folder = tmp_path_factory.mktemp("marketplace")
    live, base = start_marketplace(folder / "mp.sqlite3", folder / "mp.log")
    try:
        token = httpx.post(
            f"{base}/api/v1/auth/tokens",
            json={"login": "betrieb", "password": "demo-betrieb"},
        ).json()["token"]
        yield {
            "base": base,
            "operator": {"Authorization": f"Bearer {token}"},
            "db": folder / "mp.sqlite3",
        }
    finally:
        live.stop()


def new_station(marketplace: dict[str, Any], name: str) -> tuple[int, str]:
    """Register a station and issue a token for it, as the operator does."""
    base, operator = marketplace["base"], marketplace["operator"]
    station = httpx.post(
        f"{base}/api/v1/fleet/appliances",
        json={
            "name": name,
            "municipality_ags": LEIPZIG,
            "hardware_kind": "raspberrypi",
            "address": "192.0.2.10",
        },
        headers=operator,
    )
    assert station.status_code == 201, station.text
    issued = httpx.post(
        f"{base}/api/v1/fleet/appliances/{station.json()['id']}/enrolment-tokens",
        json={"valid_hours": 1},
        headers=operator,
    )
    return station.json()["id"], issued.json()["token"]


def settings(url: str, state_dir: Path) -> StationSettings:
    return StationSettings(
        marketplace_url=url,
        municipality_ags=LEIPZIG,
        hardware_kind="raspberrypi",
        state_dir=state_dir,
        outbox_dir=state_dir / "outbox",
    )


def test_enrols_once_and_keeps_its_key_private(
    marketplace: dict[str, Any], tmp_path: Path
) -> None:
    """GIVEN a fresh station and a token WHEN it enrols, and then enrols again
    without any token THEN the first run stores a 0600 key and the credential, and
    the second returns the stored credential without asking the marketplace."""
    station_id, token = new_station(marketplace, "leipzig-enrol-1")
    config = settings(marketplace["base"], tmp_path / "state")
    credential, new = enrol(config, token)
    again, new_again = enrol(config, "")
    assert new
    assert not new_again
    assert again == credential
    assert credential.appliance_id == station_id
    assert credential.municipality_ags == LEIPZIG
    for name in (KEY_FILE, CREDENTIAL_FILE):
        assert stat.S_IMODE((tmp_path / "state" / name).stat().st_mode) == 0o600
    shown = httpx.get(
        f"{marketplace['base']}/api/v1/fleet/appliances/{station_id}",
        headers=marketplace["operator"],
    ).json()
    assert shown["key_fingerprint"] == credential.key_fingerprint


def test_unreachable_marketplace_then_retry_with_the_same_key(
    marketplace: dict[str, Any], tmp_path: Path
) -> None:
    """GIVEN a station pointed at a loopback port where nothing listens WHEN it
    enrols THEN a clear "nicht erreichbar" error and no credential; WHEN it retries
    against the real marketplace THEN it enrols with the key it made the first time."""
    _, token = new_station(marketplace, "leipzig-enrol-2")
    state = tmp_path / "state"
    with pytest.raises(MarketplaceUnreachable, match="nicht erreichbar"):
        enrol(settings(f"http://127.0.0.1:{free_port()}", state), token)
    assert load_credential(state) is None
    key_before = (state / KEY_FILE).read_bytes()
    credential, new = enrol(settings(marketplace["base"], state), token)
    assert new
    assert (state / KEY_FILE).read_bytes() == key_before
    assert credential.name == "leipzig-enrol-2"


def test_refused_token_leaves_no_credential(
    marketplace: dict[str, Any], tmp_path: Path
) -> None:
    """GIVEN a token already spent by one station WHEN a second station uses it
    THEN it is refused with the marketplace's German reason and stays unenrolled."""
    _, token = new_station(marketplace, "leipzig-enrol-3")
    enrol(settings(marketplace["base"], tmp_path / "first"), token)
    with pytest.raises(EnrolmentRefused, match="bereits verwendet"):
        enrol(settings(marketplace["base"], tmp_path / "second"), token)
    assert load_credential(tmp_path / "second") is None


def test_expired_token_is_refused_then_a_new_one_enrols(
    marketplace: dict[str, Any],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """GIVEN a token whose validity ran out (its expiry set into the past in the
    marketplace's database) WHEN the enrolment command runs with it THEN exit code
    2 with the German reason "abgelaufen" and no credential; WHEN the operator's
    new token is used THEN the station enrols with the key it already made."""
    station_id, token = new_station(marketplace, "leipzig-enrol-expired")
    with contextlib.closing(sqlite3.connect(marketplace["db"], timeout=10)) as conn:
        conn.execute(
            "UPDATE fleet_enrolment_tokens SET expires_at = '2020-01-01T00:00:00+00:00'"
            " WHERE appliance_id = ?",
            (station_id,),
        )
        conn.commit()
    state = tmp_path / "state"
    path = tmp_path / "settings.json"
    path.write_text(
        json.dumps(
            {
                "marketplace_url": marketplace["base"],
                "municipality_ags": LEIPZIG,
                "state_dir": str(state),
            }
        )
    )
    monkeypatch.setenv("SCANSTATION_ENROLMENT_TOKEN", token)
    assert main(["--settings", str(path)]) == 2
    assert "abgelaufen" in capsys.readouterr().err
    assert load_credential(state) is None
    key_before = (state / KEY_FILE).read_bytes()
    fresh = httpx.post(
        f"{marketplace['base']}/api/v1/fleet/appliances/{station_id}/enrolment-tokens",
        json={"valid_hours": 1},
        headers=marketplace["operator"],
    ).json()["token"]
    monkeypatch.setenv("SCANSTATION_ENROLMENT_TOKEN", fresh)
    assert main(["--settings", str(path)]) == 0
    assert (state / KEY_FILE).read_bytes() == key_before
    assert load_credential(state) is not None


def test_heartbeat_until_revoked(marketplace: dict[str, Any], tmp_path: Path) -> None:
    """GIVEN an enrolled station WHEN it beats once THEN exit 0 and the marketplace
    shows its health; WHEN the operator revokes it THEN the next beat ends with exit
    code 3 (refused), which tells systemd's restart loop nothing else is wrong."""
    station_id, token = new_station(marketplace, "leipzig-beat-1")
    config = settings(marketplace["base"], tmp_path / "state")
    enrol(config, token)
    letter = tmp_path / "brief.pdf"
    letter.write_bytes(b"%PDF-1.4 Testbrief")
    Outbox(config.outbox_dir).commit(
        letter,
        DocumentMetadata(
            appliance_id="leipzig-beat-1", filename="brief.pdf", page_count=1
        ),
    )
    assert heartbeat.run(config, once=True) == 0
    url = f"{marketplace['base']}/api/v1/fleet/appliances/{station_id}"
    shown = httpx.get(url, headers=marketplace["operator"]).json()
    assert shown["health"]["outbox_depth"] == 1
    assert shown["health"]["dead_letters"] == 0
    assert shown["health"]["disk_total_bytes"] > 0
    assert shown["last_heartbeat_from"] == "127.0.0.1"
    httpx.post(f"{url}/revoke", headers=marketplace["operator"])
    assert heartbeat.run(config, once=True) == heartbeat.REFUSED_EXIT


def test_settings_file_as_the_play_writes_it(tmp_path: Path) -> None:
    """GIVEN a settings file like the scanstation role's template, with a field
    another part of the appliance keeps there WHEN it is loaded THEN the fleet's
    fields are typed (paths as paths) and the other field is ignored."""
    path = tmp_path / "settings.json"
    path.write_text(
        '{"marketplace_url": "http://10.0.0.1:8000", "municipality_ags": "14713000",'
        ' "hardware_kind": "pc", "state_dir": "/var/lib/scanstation",'
        ' "outbox_dir": "/var/lib/scanstation/outbox", "heartbeat_seconds": 300,'
        ' "scan_profile": "Standard"}'
    )
    loaded = StationSettings.load(path)
    assert loaded.outbox_dir == Path("/var/lib/scanstation/outbox")
    assert loaded.state_dir == Path("/var/lib/scanstation")
    assert loaded.heartbeat_seconds == 300


def test_heartbeat_needs_enrolment(tmp_path: Path) -> None:
    """GIVEN a station that never enrolled WHEN the heartbeat starts THEN it
    refuses with a German explanation instead of sending unsigned calls."""
    with pytest.raises(EnrolmentError, match="nicht angemeldet"):
        heartbeat.run(settings("http://127.0.0.1:9", tmp_path), once=True)
