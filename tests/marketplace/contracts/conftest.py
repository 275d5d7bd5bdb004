"""Fixtures of the contract tests."""

from __future__ import annotations

import pytest

from tests.marketplace.conftest import MakeAccount, SeedOffer
from tests.marketplace.contracts.flow import Parties, make_parties


@pytest.fixture
async def parties(make_account: MakeAccount, seed_offer: SeedOffer) -> Parties:
    return await make_parties(make_account, seed_offer)
