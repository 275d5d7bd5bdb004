"""The delivery tests' fixtures (reference receivers as real processes), for
running them on PostgreSQL."""

from tests.marketplace.delivery.conftest import *  # noqa: F403
