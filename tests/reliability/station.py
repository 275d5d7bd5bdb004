"""The appliance side: a scan station enrolled at the marketplace with its device
credential, run as ``appliance serve`` (pipeline, auto-commit and outbox delivery
in one real process) and driven through its web form like an operator."""

from __future__ import annotations

import re
import signal
import time
from pathlib import Path

import httpx

from appliance import enrolment
from appliance.outbox import Outbox
from appliance.station.auth import Users
from tests.appliance.station.login import PASSWORD, USER, login_client
from tests.support.processes import VENV_BIN, LiveProcess, free_port

from .clock import JumpingClock
from .mail import DPI, ROUTE_CODE
from .market import DRESDEN, LiveMarket

RULES = f"""
threshold = 0.75

[[offices]]
id = "strassenverkehr"
name = "Straßenverkehrsbehörde"
route = "fit-connect:bewohnerparken"
leika_key = "99990000001000"

[[barcode]]
pattern = "^{ROUTE_CODE}$"
office = "strassenverkehr"
confidence = 0.99
"""


MIN_FREE = 8 * 1024 * 1024  # a batch stops before less is free (default 64 MiB)


def enrol(market: LiveMarket, state: Path) -> None:
    """Register a Dresden station in the fleet and enrol it for real."""
    operator = {"Authorization": f"Bearer {market.operator_token}"}
    station = httpx.post(
        f"{market.url}/api/v1/fleet/appliances",
        json={
            "name": "dresden-scan-1",
            "municipality_ags": DRESDEN,
            "hardware_kind": "pc",
            "rollout_group": "pilot",
            "connection": "local",
            "address": str(state),
        },
        headers=operator,
        timeout=30,
    )
    assert station.status_code == 201, station.text
    issued = httpx.post(
        f"{market.url}/api/v1/fleet/appliances/{station.json()['id']}/enrolment-tokens",
        json={"valid_hours": 1},
        headers=operator,
        timeout=30,
    )
    assert issued.status_code == 201, issued.text
    settings = enrolment.StationSettings(
        marketplace_url=market.url, municipality_ags=DRESDEN, state_dir=state
    )
    enrolment.enrol(settings, issued.json()["token"])


def station_folder(
    root: Path, market: LiveMarket, *, data: Path | None = None, deliver: bool = True
) -> Path:
    """Settings, rules, operator account and credential; ``data`` may be a
    separate (small) file system for the station's data and outbox."""
    root.mkdir(parents=True, exist_ok=True)
    data = data or root / "daten"
    Users(data / "station.sqlite3").add(USER, PASSWORD)
    (root / "rules.toml").write_text(RULES, encoding="utf-8")
    (root / "eingang").mkdir()
    enrol(market, root / "zustand")
    settings = root / "station.toml"
    settings.write_text(
        f"""
port = {free_port()}
data_dir = "{data}"
state_dir = "zustand"
rules_file = "rules.toml"
input_folder = "eingang"
operator = "Frau Beispiel"
auto_commit = true
deliver = {str(deliver).lower()}

[[profiles]]
name = "Brief"
resolution = {DPI}
mode = "gray"
source = "adf"
paper = "scan-area"

[pipeline]
appliance_id = "dresden-scan-1"
ocr_workers = 2
min_free_bytes = {MIN_FREE}

[outbox]
folder = "{data}/postausgang"
intake_url = "{market.url}"
credential_dir = "zustand"
municipality_ags = "{DRESDEN}"
timeout_seconds = 3
backoff_base = 0.05
backoff_cap = 0.5
max_attempts = 100000
poll_seconds = 0.1
reserve_bytes = 0
""",
        encoding="utf-8",
    )
    return settings


class LiveStation:
    """``appliance serve`` as a real process; restartable after SIGKILL."""

    def __init__(self, settings: Path) -> None:
        self.settings = settings
        self.root = settings.parent
        text = settings.read_text(encoding="utf-8")
        found = re.search(r"^port = (\d+)$", text, re.MULTILINE)
        data = re.search(r'^data_dir = "(.+)"$', text, re.MULTILINE)
        assert found
        assert data
        self.url = f"http://127.0.0.1:{found[1]}"
        self.data = Path(data[1])
        self.process: LiveProcess | None = None
        self.starts = 0
        self.client = httpx.Client(base_url=self.url, timeout=30)
        # Only a separate delivery process gets the jumping clock: libfaketime
        # breaks Python 3.11's time.sleep, which the pipeline's subprocess
        # waits use (wolfcw/libfaketime#426), and the delivery loop never sleeps so.
        self.clock = JumpingClock(self.root / "faketime")

    @property
    def outbox(self) -> Outbox:
        return Outbox(self.data / "postausgang")

    @property
    def inbox(self) -> Path:
        return self.root / "eingang"

    def start(self) -> None:
        self.starts += 1
        argv = [str(VENV_BIN / "appliance"), "serve", "--settings", str(self.settings)]
        log = self.root / f"station-{self.starts}.log"
        self.process = LiveProcess(argv, log, {})
        self.process.wait_http(f"{self.url}/anmelden")
        self.client.cookies.clear()
        login_client(self.client)

    def kill(self) -> None:
        if self.process is not None:
            self.process.stop(signal.SIGKILL)
            self.process = None

    def deliverer(self, log: Path) -> LiveProcess:
        """``appliance outbox deliver`` as its own process, on the jumping clock
        (for a station started with ``deliver = false``)."""
        argv = [str(VENV_BIN / "appliance"), "outbox", "--settings"]
        argv += [str(self.settings), "deliver"]
        return LiveProcess(argv, log, self.clock.env())

    def close(self) -> None:
        """Kill the process (if still running) and close the operator's client."""
        self.kill()
        self.client.close()

    def start_batch(self) -> str:
        form = self.client.get("/").text
        token = re.search(r'name="_csrf_token" value="([^"]+)"', form)
        assert token is not None, form[:500]
        answer = self.client.post(
            "/stapel",
            data={"profile": "Brief", "source": "folder", "_csrf_token": token[1]},
        )
        assert answer.status_code == 303, answer.text
        return str(answer.headers["location"].rsplit("/", 1)[1])

    def batch(self, batch_id: str) -> dict[str, object]:
        answer: dict[str, object] = self.client.get(f"/api/stapel/{batch_id}").json()
        return answer

    def wait_batch(self, batch_id: str, within: float = 180) -> dict[str, object]:
        deadline = time.monotonic() + within
        while (status := self.batch(batch_id))["state"] == "running":
            assert time.monotonic() < deadline, self.output()
            time.sleep(0.2)
        return status

    def output(self) -> str:
        return self.process.output() if self.process else ""
