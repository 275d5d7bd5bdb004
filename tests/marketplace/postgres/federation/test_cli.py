"""``marketplace --database-url ... node|peers ...`` (tests/marketplace/federation/
test_cli.py): init, sample, add a peer, pull, list and remove on PostgreSQL."""

from tests.marketplace.federation.test_cli import *  # noqa: F403
