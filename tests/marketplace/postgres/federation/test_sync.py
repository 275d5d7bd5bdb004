"""Replication (tests/marketplace/federation/test_sync.py) with nord and sued on
PostgreSQL, two workers each, and ost on SQLite: from empty, incrementally,
the read-only trigger, a killed two-worker node, a partition. The three
converge to one content hash; each entry is applied once although both
workers of a node run the puller."""

from tests.marketplace.federation.test_sync import *  # noqa: F403
