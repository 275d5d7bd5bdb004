"""Fixtures of the subscription tests: the parties and an active contract."""

from __future__ import annotations

import pytest

from marketplace.identity import secrets
from tests.marketplace.conftest import MakeAccount, SeedOffer
from tests.marketplace.contracts.flow import (
    Client,
    Contract,
    Parties,
    drive,
    make_parties,
    request,
)


@pytest.fixture(autouse=True)
def quick_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test here creates five accounts. Passwords are not under test here, so
    scrypt runs with a small work factor (still real scrypt, and verification reads
    the factor from the stored hash); the identity tests keep the real one."""
    monkeypatch.setattr(secrets, "_N", 2**8)


@pytest.fixture
async def parties(make_account: MakeAccount, seed_offer: SeedOffer) -> Parties:
    return await make_parties(make_account, seed_offer)


@pytest.fixture
async def active(client: Client, parties: Parties) -> Contract:
    """Leipzig's active contract with Lecos, reached through the real state machine."""
    draft = await request(client, parties.leipzig, parties.version)
    return await drive(client, parties, draft, "active")
