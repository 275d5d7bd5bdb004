"""Fixtures of the eID tests: real pcscd with vpcd, real headless AusweisApp."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from appliance.eid.ausweisapp import AusweisAppProcess
from tests.appliance.eid.daemons import Pcscd


@pytest.fixture(scope="session")
def pcscd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pcscd]:
    """pcscd with the vpcd virtual reader (two slots), for the whole session."""
    daemon = Pcscd(tmp_path_factory.mktemp("pcscd")).start()
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture
def running_pcscd(pcscd: Pcscd) -> Pcscd:
    """The session's pcscd, restarted if a previous test stopped it."""
    if pcscd.process is None:
        pcscd.start()
    return pcscd


@pytest.fixture
def ausweisapp(running_pcscd: Pcscd, tmp_path: Path) -> Iterator[AusweisAppProcess]:
    """A fresh AusweisApp per test (it starts in well under a second).

    One process per test because AusweisApp 1.26.2 failed to connect the Simulator
    card (Card_Communication_Error) in a workflow that followed a RUN_AUTH in the
    same process.
    """
    home = tmp_path / "ausweisapp"
    process = AusweisAppProcess(home).start()
    try:
        yield process
    finally:
        process.stop()
