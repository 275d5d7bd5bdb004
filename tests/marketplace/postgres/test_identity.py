"""Accounts and tokens (tests/marketplace/test_identity.py) on PostgreSQL."""

from tests.marketplace.test_identity import *  # noqa: F403
