"""The fleet tests' fixtures (municipalities, operator, registered stations), for
running them on PostgreSQL."""

from tests.marketplace.fleet.conftest import *  # noqa: F403
