"""``kill -9`` of the station process in the middle of a batch: after a restart the
batch is marked interrupted, every input file is still in the input folder, and
running the batch again yields every document once."""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import httpx
import pytest

from appliance.outbox import Outbox
from tests.support.processes import VENV_BIN, LiveProcess, free_port

from .letters import mail_batch, station_folder
from .login import login_client

pytestmark = pytest.mark.slow


def serve(settings: Path, log: Path, url: str) -> LiveProcess:
    process = LiveProcess(
        [str(VENV_BIN / "appliance"), "serve", "--settings", str(settings)], log, {}
    )
    process.wait_http(f"{url}/anmelden")
    return process


def start_batch(client: httpx.Client) -> str:
    """Log in, then start a folder batch through the page's form."""
    login_client(client)
    form = client.get("/").text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', form)
    assert token is not None
    answer = client.post(
        "/stapel",
        data={"profile": "Brief 150 dpi", "source": "folder", "_csrf_token": token[1]},
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"].rsplit("/", 1)[1]


def status(client: httpx.Client, batch_id: str) -> dict[str, object]:
    answer: dict[str, object] = client.get(f"/api/stapel/{batch_id}").json()
    return answer


def test_killed_mid_batch_loses_no_page(tmp_path: Path) -> None:
    """GIVEN a station process working on a batch of six sheets
    WHEN it is killed with SIGKILL while cleaning or reading the pages, restarted,
    and the batch is started again
    THEN the first batch shows as interrupted, all six files were still waiting,
    and the second batch makes the three documents, each committed at most once."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = station_folder(tmp_path, port=port)
    inbox = tmp_path / "eingang"
    mail_batch(inbox)
    process = serve(settings, tmp_path / "serve-1.log", url)
    with httpx.Client(base_url=url, timeout=10) as client:
        first = start_batch(client)
        deadline = time.monotonic() + 60
        while status(client, first)["stage"] not in ("clean", "ocr"):
            assert time.monotonic() < deadline, process.output()
            time.sleep(0.05)
    process.stop(signal.SIGKILL)
    assert len(list(inbox.iterdir())) == 6
    process = serve(settings, tmp_path / "serve-2.log", url)
    try:
        with httpx.Client(base_url=url, timeout=10) as client:
            login_client(client)
            interrupted = status(client, first)
            assert interrupted["state"] == "failed"
            assert "Unterbrochen" in str(interrupted["message"])
            second = start_batch(client)
            deadline = time.monotonic() + 120
            while status(client, second)["state"] == "running":
                assert time.monotonic() < deadline, process.output()
                time.sleep(0.2)
            done = status(client, second)
            page = client.get(f"/stapel/{second}").text
    finally:
        process.stop()
    assert done["state"] == "done", done
    assert "6 Seiten erfasst, 3 Dokumente" in str(done["message"])
    assert page.count('<article class="card') == 3
    assert list(inbox.iterdir()) == []
    outbox = Outbox(tmp_path / "postausgang")
    names = [e.metadata.filename for e in outbox.entries()]
    assert len(names) == 2 == len(set(names))  # the two confident documents
