"""The subscription tests' fixtures, for running them on PostgreSQL."""

from tests.marketplace.subscriptions.conftest import *  # noqa: F403
