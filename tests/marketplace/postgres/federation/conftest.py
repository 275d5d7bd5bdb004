"""The federation tests' fixtures (nodes as real processes), for running them
with nord and sued on PostgreSQL, two workers each, and ost on SQLite."""

from tests.marketplace.federation.conftest import *  # noqa: F403
