"""Reliability suite fixtures: the seed (printed, so a failure can be replayed
with ``RELIABILITY_SEED``), the reference receivers as real processes, and a
marketplace process over a prepared demo database."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from pathlib import Path

import pytest

from marketplace.identity import secrets
from tests.connectors.conftest import Receiver

from .market import LiveMarket, receivers


@pytest.fixture
def seed() -> int:
    chosen = int(os.environ.get("RELIABILITY_SEED", random.randrange(2**31)))  # noqa: S311
    print(f"RELIABILITY_SEED={chosen}")  # shown with the failure report
    return chosen


@pytest.fixture
def live_receivers(tmp_path: Path) -> Iterator[dict[str, Receiver]]:
    (tmp_path / "empfaenger").mkdir()
    started = receivers(tmp_path / "empfaenger")
    try:
        for receiver in started.values():
            receiver.start()
        yield started
    finally:
        for receiver in started.values():
            receiver.stop()


@pytest.fixture
def market(
    tmp_path: Path,
    live_receivers: dict[str, Receiver],
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[LiveMarket]:
    """The demo accounts are seeded in this process with a small scrypt work
    factor (read back from the stored hash; passwords are not under test); the
    marketplace itself runs unpatched in its own process."""
    monkeypatch.setattr(secrets, "_N", 2**8)
    live = LiveMarket(tmp_path / "marktplatz", live_receivers)
    live.start()
    try:
        yield live
    finally:
        live.kill()
