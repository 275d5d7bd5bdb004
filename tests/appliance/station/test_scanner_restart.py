"""``kill -9`` of ``appliance serve`` and its scanimage while the SANE ``test``
device's feeder runs: after the restart the batch waits to go on, the pages
scanimage had finished are taken into it, and every one of them reaches the
document."""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import httpx
import pytest

from appliance.scanlog import ScanLog
from appliance.station.store import StationStore
from tests.support.processes import VENV_BIN, LiveProcess, free_port

from .letters import station_folder
from .login import login_client
from .sane import SaneTestDevice, needs_sane

pytestmark = [needs_sane, pytest.mark.slow]


class Client:
    def __init__(self, url: str) -> None:
        self.http = httpx.Client(base_url=url, timeout=10)
        login_client(self.http)

    def post(self, path: str, data: dict[str, str]) -> str:
        form = self.http.get("/").text
        token = re.search(r'name="_csrf_token" value="([^"]+)"', form)
        assert token is not None
        answer = self.http.post(path, data={**data, "_csrf_token": token[1]})
        assert answer.status_code == 303, answer.text
        return answer.headers["location"].rsplit("/", 1)[1]

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.http.close()

    def wait(self, batch_id: str) -> dict[str, object]:
        deadline = time.monotonic() + 120
        while (status := self.http.get(f"/api/stapel/{batch_id}").json())[
            "state"
        ] == "running":
            assert time.monotonic() < deadline, status
            time.sleep(0.1)
        answer: dict[str, object] = status
        return answer


def serve(settings: Path, log: Path, url: str, env: dict[str, str]) -> LiveProcess:
    argv = [str(VENV_BIN / "appliance"), "serve", "--settings", str(settings)]
    process = LiveProcess(argv, log, env)
    process.wait_http(f"{url}/anmelden")
    return process


def test_killed_while_scanning_the_batch_goes_on_with_every_finished_page(
    tmp_path: Path,
) -> None:
    """GIVEN a station scanning from the test device's feeder, slowed to about
    half a second a sheet
    WHEN the station and scanimage are killed with SIGKILL after three or more
    pages, the station is started again, and the operator presses "Weiter
    scannen" (the feeder is empty now) and then "Stapel abschließen"
    THEN the batch shows "Unterbrochen" and waits, the pages finished before the
    kill are recorded with their numbers, the half-scanned page is not, and the
    document holds exactly those pages."""
    device = SaneTestDevice(tmp_path / "sane")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    root = tmp_path / "station"
    settings = station_folder(root, scanner="test", auto_commit=False, port=port)
    device.set(delay_us=50_000)
    process = serve(settings, tmp_path / "serve-1.log", url, device.env)
    with Client(url) as client:
        form = {"profile": "Brief 150 dpi", "source": "scanner"}
        batch_id = client.post("/stapel", form)
        folder = root / "daten" / "work" / batch_id / "scanner"
        deadline = time.monotonic() + 60
        while len(list(folder.glob("raw-*.pnm"))) < 3:
            assert time.monotonic() < deadline, process.output()
            time.sleep(0.05)
        process.stop(signal.SIGKILL)  # the whole process group: scanimage too
    finished = sorted(int(p.stem.split("-")[1]) for p in folder.glob("raw-*.pnm"))
    assert finished == list(range(1, len(finished) + 1))
    assert len(finished) < 10, "the feeder had not run empty yet"

    device.set(status="SANE_STATUS_NO_DOCS")
    process = serve(settings, tmp_path / "serve-2.log", url, device.env)
    try:
        with Client(url) as client:
            interrupted = client.wait(batch_id)
            assert interrupted["state"] == "paused"
            assert "Unterbrochen (Neustart der Station)" in str(interrupted["message"])
            client.post(f"/stapel/{batch_id}/weiter", {})
            empty = client.wait(batch_id)
            assert "Der Einzug ist leer" in str(empty["message"])
            assert f"Bisher {len(finished)} Seiten erfasst." in str(empty["message"])
            client.post(f"/stapel/{batch_id}/abschliessen", {})
            done = client.wait(batch_id)
    finally:
        process.stop()
    assert done["state"] == "done", done
    assert f"{len(finished)} Seiten erfasst, 1 Dokumente." in str(done["message"])
    (document,) = StationStore(root / "daten" / "station.sqlite3").documents(
        batch_id=batch_id
    )
    assert [p.number for p in document.pages] == finished
    logged = [
        e.data["page"]
        for e in ScanLog(root / "zustand" / "scan-log.jsonl").entries()
        if e.kind == "page_captured" and e.batch_id == batch_id
    ]
    assert logged == finished
