"""Subscriptions (tests/marketplace/subscriptions/) on PostgreSQL, concurrent
identical PUTs included."""

from tests.marketplace.subscriptions.test_subscriptions import *  # noqa: F403
