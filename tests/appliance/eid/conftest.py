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


@pytest.fixture(scope="session")
def ausweisapp(
    pcscd: Pcscd, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AusweisAppProcess]:
    """AusweisApp headless with its SDK WebSocket on a free port."""
    home: Path = tmp_path_factory.mktemp("ausweisapp")
    process = AusweisAppProcess(home).start()
    try:
        yield process
    finally:
        process.stop()
