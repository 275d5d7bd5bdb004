"""The node key check (tests/marketplace/federation/test_node_key.py) with the
node on PostgreSQL: a worker whose key file is not the node's does not start."""

from tests.marketplace.federation.test_node_key import *  # noqa: F403
