"""Fixtures of the subscription tests: the parties and an active contract."""

from __future__ import annotations

import pytest

from tests.marketplace.conftest import MakeAccount, SeedOffer
from tests.marketplace.contracts.flow import (
    Client,
    Contract,
    Parties,
    drive,
    make_parties,
    request,
)


@pytest.fixture
async def parties(make_account: MakeAccount, seed_offer: SeedOffer) -> Parties:
    return await make_parties(make_account, seed_offer)


@pytest.fixture
async def active(client: Client, parties: Parties) -> Contract:
    """Leipzig's active contract with Lecos, reached through the real state machine."""
    draft = await request(client, parties.leipzig, parties.version)
    return await drive(client, parties, draft, "active")
