"""Cross-node contracts (tests/marketplace/federation/test_contracts.py) with
nord and sued on PostgreSQL, two workers each, and ost on SQLite: the
activation trigger, retries across killed nodes, and usage reports that every
worker keeps for itself."""

from tests.marketplace.federation.test_contracts import (  # noqa: F401
    cluster,
    test_cross_node_contract,
    test_failures_half_way_are_retried,
    test_usage_counts_across_nodes,
)
