"""Delivery fixtures: a real app with its engine running, Leipzig's production
subscription under an active contract, and the reference receivers as real
processes on loopback (shared with the connector tests' fixtures)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from marketplace.identity import secrets
from marketplace.settings import Settings
from tests.connectors.conftest import (  # noqa: F401 - fixtures used by name
    Receiver,
    eakte_receiver,
    fitconnect_receiver,
    receivers_dir,
    webhook_receiver,
)
from tests.marketplace.conftest import MakeAccount, SeedOffer
from tests.marketplace.contracts.flow import (
    Client,
    Parties,
    drive,
    make_parties,
    request,
)

from .flow import Subscribed, subscribe


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Five accounts per test; passwords are not under test here (real scrypt with
    a small work factor, read back from the stored hash)."""
    monkeypatch.setattr(secrets, "_N", 2**8)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Fast retries so faults play out in seconds: backoff up to 0.2 s, breaker
    after 3 failures with a 1 s cool-down, lease 20 s."""
    return Settings(
        db_path=tmp_path / "app.sqlite3",
        csrf_secret="test-csrf-secret",
        read_connections=2,
        delivery_poll=0.05,
        delivery_lease=20.0,
        delivery_max_attempts=6,
        delivery_backoff_base=0.05,
        delivery_backoff_cap=0.2,
        delivery_retry_after_cap=0.0,
        delivery_breaker_threshold=3,
        delivery_breaker_cooldown=1.0,
        delivery_folder_root=str(tmp_path / "ablage"),
    )


@pytest.fixture
async def parties(make_account: MakeAccount, seed_offer: SeedOffer) -> Parties:
    return await make_parties(make_account, seed_offer)


@pytest.fixture
async def leipzig(client: Client, parties: Parties) -> Subscribed:
    """Leipzig's production subscription under an active contract with Lecos."""
    draft = await request(client, parties.leipzig, parties.version)
    contract = await drive(client, parties, draft, "active")
    return await subscribe(client, parties, contract["id"], "production")


@pytest.fixture(autouse=True)
def calm_receivers(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every receiver a test used is back to no faults afterwards."""
    yield
    for name in ("webhook_receiver", "eakte_receiver", "fitconnect_receiver"):
        if name in request.fixturenames:
            receiver: Receiver = request.getfixturevalue(name)
            if receiver.process is None:
                receiver.start()
            receiver.faults()
