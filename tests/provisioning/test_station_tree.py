"""The provisioned station at work: programs of its tree, run as its service user
inside its own network namespace (a veth link to the marketplace process on the
host), with the settings the play rendered. It scans a page, delivers it signed
with its own device credential, serves its page with the command of its systemd
unit, beats, and is refused once revoked: its next document stays on the station
as a dead letter. Uses the shared ``station`` fixture (``tree.py``); slow."""

from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.provisioning.tree import HOST, PYTHON, SETTINGS, Station, appliance, in_tree

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

USER = "scanstation"
HOME = "/var/lib/scanstation"
STATION_TOML = "/etc/scanstation/station.toml"
APPLIANCE = "/opt/scanstation/venv/bin/appliance"

COMMIT = """
import sys
from pathlib import Path
import img2pdf
from appliance.outbox import DocumentMetadata, Outbox
pdf = Path("/var/lib/scanstation") / sys.argv[2]
pdf.write_bytes(img2pdf.convert("/var/lib/scanstation/scan.png"))
meta = DocumentMetadata(appliance_id="leipzig-scan-1", filename=pdf.name, page_count=1)
print(Outbox(Path(sys.argv[1])).commit(pdf, meta).sha256)
"""

SEPARATOR = "\n=====\n"
LOG_IN = f"""
import re, httpx
with httpx.Client(base_url="http://127.0.0.1:8080", timeout=5, follow_redirects=True) as c:
    login = c.get("/").text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', login)[1]
    form = {{"name": "frau.beispiel", "password": "geheim-1234", "_csrf_token": token}}
    page = c.post("/anmelden", data=form).text
print(login + {SEPARATOR!r} + page)
"""

FETCH = """
import sys, urllib.request
with urllib.request.urlopen("http://127.0.0.1:8080" + sys.argv[1], timeout=5) as r:
    print(r.read().decode())
"""


def scan_and_commit(station: Station, name: str, resolution: str) -> str:
    """Scan a page from the SANE test backend and commit it to the outbox."""
    scan = in_tree(
        station,
        "scanimage",
        "-d",
        "test",
        "--format=png",
        "--resolution",
        resolution,
        f"--output-file={HOME}/scan.png",
        user=USER,
    )
    assert scan.returncode == 0, scan.stderr
    commit = in_tree(station, PYTHON, "-c", COMMIT, f"{HOME}/outbox", name, user=USER)
    assert commit.returncode == 0, commit.stderr
    return str(commit.stdout.decode().strip())


def outbox(station: Station, *command: str) -> Any:
    """``appliance outbox`` with the rendered station settings, in the namespace."""
    return in_tree(
        station,
        APPLIANCE,
        "outbox",
        "--settings",
        STATION_TOML,
        *command,
        netns=True,
        user=USER,
    )


def intake_rows(station: Station) -> list[tuple[str, int | None, int | None]]:
    with contextlib.closing(sqlite3.connect(station.db, timeout=10)) as conn:
        rows = conn.execute(
            "SELECT sha256, sender_user_id, sender_appliance_id FROM intake_documents"
        ).fetchall()
    return [(row[0], row[1], row[2]) for row in rows]


def test_station_delivers_a_scanned_page_with_its_own_credential(
    station: Station,
) -> None:
    """GIVEN the provisioned station, enrolled, with no account token anywhere
    WHEN it scans a page from the SANE test backend, commits the PDF to its outbox
    and, inside its namespace, runs ``appliance outbox deliver`` with the
    ``station.toml`` the play rendered
    THEN the intake holds the document once for Leipzig, recorded as sent by this
    station (no account), and Leipzig's buyer sees it in the intake list."""
    assert not (station.tree / HOME.lstrip("/") / "intake-token").exists()
    sha256 = scan_and_commit(station, "testseite.pdf", "150")
    deliver = outbox(station, "deliver", "--until-empty")
    assert deliver.returncode == 0, deliver.stderr
    assert b"zugestellt 1, wartend 0, unzustellbar 0" in deliver.stdout
    assert intake_rows(station) == [(sha256, None, station.appliance_id)]
    token = httpx.post(
        f"{station.base}/api/v1/auth/tokens",
        json={"login": "leipzig-einkauf", "password": "demo-leipzig"},
    ).json()["token"]
    documents = httpx.get(
        f"{station.base}/api/v1/intake/documents",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert [d["sha256"] for d in documents] == [sha256]


def test_station_service_command_serves_its_page(station: Station) -> None:
    """GIVEN the station unit the play installed (no systemd in a chroot) and an
    operator account made with ``appliance station user add`` as the service user
    WHEN the unit's ``ExecStart`` command runs as its ``User`` inside the namespace
    THEN the station answers on 127.0.0.1:8080 with its login page (this station's
    name, no "Noch kein Konto"), the operator logs in and gets the batch page,
    the page script is served from the installed package, and the outbox delivery
    started (signed with the credential; no "delivery not started" in its log)."""
    chroot = ["chroot", f"--userspec={USER}:{USER}", str(station.tree)]
    add_user = ["station", "--settings", STATION_TOML, "user", "add", "frau.beispiel"]
    account = subprocess.run(
        [*chroot, APPLIANCE, *add_user],
        input=b"geheim-1234\n",
        capture_output=True,
        check=False,
    )
    assert account.returncode == 0, account.stderr
    unit = (station.tree / "etc/systemd/system/scanstation.service").read_text()
    exec_start = next(
        line.removeprefix("ExecStart=")
        for line in unit.splitlines()
        if line.startswith("ExecStart=")
    )
    log = station.tree / "root/serve.log"
    with log.open("wb") as sink:
        server = subprocess.Popen(
            station.ns.wrap([*chroot, *exec_start.split()]),
            stdout=sink,
            stderr=subprocess.STDOUT,
            # the host's ip and chroot (sbin), then the tree's programs
            env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "HOME": HOME},
            start_new_session=True,
        )
    try:
        login, page = _log_in_when_up(station, server, log)
        script = in_tree(station, PYTHON, "-c", FETCH, "/static/station.js", netns=True)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    assert f"Anmelden – Scanstation {HOST}" in login, log.read_text()
    assert "Noch kein Konto" not in login
    assert "Neuen Stapel starten" in page, page[:2000]
    assert script.returncode == 0, script.stderr
    assert "delivery not started" not in log.read_text()


def _log_in_when_up(
    station: Station, server: subprocess.Popen[bytes], log: Path
) -> tuple[str, str]:
    """(login page, page after logging in), once the station answers."""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert server.poll() is None, f"serve ended early:\n{log.read_text()}"
        session = in_tree(station, PYTHON, "-c", LOG_IN, netns=True, user=USER)
        if session.returncode == 0:
            login, _, page = session.stdout.decode().partition(SEPARATOR)
            return login, page
        time.sleep(1)
    raise TimeoutError(f"no answer from the station within 90 s: {session.stderr!r}")


def test_station_beats_and_is_refused_once_revoked(station: Station) -> None:
    """GIVEN the station in its namespace WHEN it sends a heartbeat THEN the
    marketplace shows its health, received over the veth link; a re-run of the
    enrolment there does not enrol again; WHEN the operator revokes it THEN its
    next beat is refused (3), and a page scanned afterwards is refused by the
    intake and stays on the station as a dead letter "Gerät gesperrt": one
    delivered + one dead, the intake still holds only the first."""
    beat = in_tree(
        station, PYTHON, "-m", "appliance.heartbeat", "--settings", SETTINGS,
        "--once", netns=True, user=USER,
    )  # fmt: skip
    assert beat.returncode == 0, beat.stderr
    shown = appliance(station)
    assert shown["last_heartbeat_from"] == station.ns.ns_ip
    assert shown["health"]["tesseract"].startswith("tesseract 5")
    assert shown["health"]["scanner"].startswith("scanimage")
    assert shown["health"]["reader"] is not None
    assert shown["software_version"] == "0.1.0"
    assert (shown["health"]["outbox_depth"], shown["health"]["dead_letters"]) == (0, 0)
    again = in_tree(
        station, "env", "SCANSTATION_ENROLMENT_TOKEN=mpe_irrelevant", PYTHON, "-m",
        "appliance.enrolment", "--settings", SETTINGS, netns=True, user=USER,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "bereits angemeldet" in again.stdout.decode()
    before = intake_rows(station)
    httpx.post(
        f"{station.base}/api/v1/fleet/appliances/{station.appliance_id}/revoke",
        headers=station.operator,
    )
    refused = in_tree(
        station, PYTHON, "-m", "appliance.heartbeat", "--settings", SETTINGS,
        "--once", netns=True, user=USER,
    )  # fmt: skip
    assert refused.returncode == 3, refused.stderr
    assert "gesperrt" in refused.stderr.decode()
    late = scan_and_commit(station, "nach-der-sperre.pdf", "100")
    deliver = outbox(station, "deliver", "--until-empty")
    assert deliver.returncode == 0, deliver.stderr
    assert b"zugestellt 1, wartend 0, unzustellbar 1" in deliver.stdout
    listed = outbox(station, "list").stdout.decode()
    dead = next(line for line in listed.splitlines() if line.startswith(late))
    assert "\tdead\t" in dead
    assert "Gerät gesperrt" in dead
    assert intake_rows(station) == before
