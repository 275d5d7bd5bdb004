"""``appliance eid status`` as a real process against real pcscd and AusweisApp."""

from __future__ import annotations

import json
import subprocess

import pytest

from appliance.eid.ausweisapp import AusweisAppProcess
from appliance.eid.pcsc import PcscReaders
from appliance.eid.readers import SlotState
from tests.appliance.eid.daemons import READER_NAMES, Pcscd
from tests.appliance.eid.test_pcsc import NPA_ATR, settle
from tests.appliance.eid.vicc import VirtualCard
from tests.support.processes import VENV_BIN

pytestmark = pytest.mark.slow


def test_status_prints_readers_card_and_ausweisapp_as_json(
    running_pcscd: Pcscd, ausweisapp: AusweisAppProcess
) -> None:
    """GIVEN an ID card on the first vpcd slot and AusweisApp running
    WHEN ``appliance eid status`` runs
    THEN it exits 0 and prints both readers (the card named), and AusweisApp's
    version and reader list (with the Simulator)."""
    with VirtualCard(running_pcscd.port, NPA_ATR):
        settle(PcscReaders(), PcscReaders().snapshot(), SlotState.PRESENT)
        done = subprocess.run(
            [str(VENV_BIN / "appliance"), "eid", "status", "--sdk-url", ausweisapp.url],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    status = json.loads(done.stdout)
    assert [r["reader"] for r in status["readers"]] == list(READER_NAMES)
    assert status["readers"][0]["card"] == "id_card"
    assert status["readers"][1]["state"] == "empty"
    assert status["ausweisapp"]["version"] == status["ausweisapp"]["installed_version"]


def test_status_without_services_reports_in_german_and_exits_1(
    running_pcscd: Pcscd,
) -> None:
    """GIVEN no AusweisApp on the given port
    WHEN ``appliance eid status`` runs
    THEN it still prints JSON, with a German error, and exits 1."""
    done = subprocess.run(
        [
            str(VENV_BIN / "appliance"),
            "eid",
            "status",
            "--sdk-url",
            "ws://127.0.0.1:9/eID-Kernel",
            "--timeout",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "nicht erreichbar" in json.loads(done.stdout)["ausweisapp"]["error"]
