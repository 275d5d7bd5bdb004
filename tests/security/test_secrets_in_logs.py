"""Secrets never reach a log: a real ``marketplace serve --debug`` process (its
whole log at DEBUG) and the appliance's enrolment and heartbeat in this process
(every record at DEBUG, captured with caplog), through log-ins by API and web form,
a failed log-in, station registration, enrolment-token issue, enrolment, a refused
second enrolment and a signed heartbeat."""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from appliance import heartbeat
from appliance.enrolment import (
    KEY_FILE,
    EnrolmentRefused,
    StationSettings,
    enrol,
    load_or_create_key,
)
from tests.support.processes import VENV_BIN, LiveProcess, free_port

LEIPZIG = "14713000"
PASSWORDS = ("demo-betrieb", "demo-leipzig", "falsch-aber-geheim-42")


@pytest.fixture
def marketplace(tmp_path: Path) -> Iterator[tuple[LiveProcess, str]]:
    port = free_port()
    argv = [str(VENV_BIN / "marketplace"), "--db", str(tmp_path / "mp.sqlite3")]
    argv += ["serve", "--host", "127.0.0.1", "--port", str(port)]
    argv += ["--seed-demo", "--debug"]
    env = {"MARKETPLACE_CSRF_SECRET": "secrets-in-logs-test"}
    live = LiveProcess(argv, tmp_path / "marketplace.log", env)
    base = f"http://127.0.0.1:{port}"
    try:
        live.wait_http(f"{base}/health")
        yield live, base
    finally:
        live.stop()


def test_no_secret_appears_in_any_log(
    marketplace: tuple[LiveProcess, str],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """GIVEN a marketplace at DEBUG and a station in this process at DEBUG WHEN
    people log in (API, web form, a wrong password), a station is registered, gets
    an enrolment token, enrols, is refused a second enrolment with the spent token
    and sends a signed heartbeat THEN no password, bearer token, session cookie,
    enrolment token or private key material appears in the marketplace's log or in
    any log record of the station, while both logs did record the calls."""
    live, base = marketplace
    secrets = list(PASSWORDS)
    secrets += _log_in(base)
    station = tmp_path / "station"
    config = StationSettings(
        marketplace_url=base,
        municipality_ags=LEIPZIG,
        hardware_kind="raspberrypi",
        state_dir=station,
        outbox_dir=station / "outbox",
    )
    token = _station_token(base, secrets[len(PASSWORDS)])
    secrets.append(token)
    secrets += _private_key_material(station)
    # From here on this process is the station (the people above are the test's
    # own HTTP clients, whose library logs response headers at DEBUG).
    caplog.set_level(logging.DEBUG)
    enrol(config, token)
    (station / "credential.json").rename(station / "first-credential.json")
    with pytest.raises(EnrolmentRefused):
        enrol(config, token)
    (station / "first-credential.json").rename(station / "credential.json")
    assert heartbeat.run(config, once=True) == 0
    live.stop()
    server_log = live.log_path.read_text(encoding="utf-8", errors="replace")
    records = [_record_text(r) for r in caplog.records]
    assert "/api/v1/fleet/enrolments" in server_log
    assert any("/api/v1/fleet/enrolments" in r for r in records)
    assert any("/api/v1/fleet/heartbeats" in r for r in records)
    leaks = [
        f"secret no. {n} ({where})"
        for n, secret in enumerate(secrets)
        for where, texts in (("marketplace", [server_log]), ("station", records))
        if any(secret in text for text in texts)
    ]
    assert leaks == [], "secrets found in logs: " + ", ".join(leaks)


def _log_in(base: str) -> list[str]:
    """Log in as the operator (API token) and as a buyer (web form with CSRF), and
    fail once; returns the bearer token and the session cookie."""
    token = httpx.post(
        f"{base}/api/v1/auth/tokens",
        json={"login": "betrieb", "password": "demo-betrieb"},
    ).json()["token"]
    refused = httpx.post(
        f"{base}/api/v1/auth/tokens",
        json={"login": "betrieb", "password": "falsch-aber-geheim-42"},
    )
    assert refused.status_code == 401
    with httpx.Client(base_url=base) as browser:
        form = browser.get("/anmelden", headers={"Accept": "text/html"})
        csrf = re.search(r'name="_csrf_token" value="([^"]+)"', form.text)
        assert csrf is not None
        answer = browser.post(
            "/anmelden",
            data={
                "login": "leipzig-einkauf",
                "password": "demo-leipzig",
                "_csrf_token": csrf[1],
            },
        )
        assert answer.status_code == 303, answer.text
        session = browser.cookies["mp_session"]
        assert browser.get("/kommune").status_code == 200
    return [token, session]


def _station_token(base: str, bearer: str) -> str:
    operator = {"Authorization": f"Bearer {bearer}"}
    station = httpx.post(
        f"{base}/api/v1/fleet/appliances",
        json={
            "name": "leipzig-logs-1",
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
    assert issued.status_code == 201, issued.text
    token: str = issued.json()["token"]
    return token


def _private_key_material(station: Path) -> list[str]:
    """The key file's base64 lines and the raw private key in two encodings."""
    station.mkdir(parents=True)
    key = load_or_create_key(station)
    raw = key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    pem = (station / KEY_FILE).read_text().splitlines()
    return [
        *(line for line in pem if not line.startswith("-----")),
        base64.b64encode(raw).decode(),
        base64.urlsafe_b64encode(raw).decode().rstrip("="),
        raw.hex(),
    ]


def _record_text(record: logging.LogRecord) -> str:
    parts: list[Any] = [record.getMessage(), record.exc_text or "", record.__dict__]
    return " ".join(str(p) for p in parts)
