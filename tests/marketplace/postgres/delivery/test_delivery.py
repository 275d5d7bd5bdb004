"""Delivery queue, dead letters and transfer log (tests/marketplace/delivery/) on
PostgreSQL: the outbox claim with FOR UPDATE SKIP LOCKED, retries, dead letters,
the append-only transfer log, test and production kept apart."""

from tests.marketplace.delivery.test_faults import *  # noqa: F403
from tests.marketplace.delivery.test_routes_and_separation import *  # noqa: F403
from tests.marketplace.delivery.test_transfer_log import *  # noqa: F403
