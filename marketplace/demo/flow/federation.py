"""A second marketplace node that replicates the demo catalog (docs/federation.md).

The demo marketplace is node ``dresden`` (on its SQLite file or, in the
scale-out mode, on PostgreSQL); node ``zweit`` (its own SQLite file
``<var>/knoten-zweit.sqlite3``, no catalog of its own) has it as its one peer and
pulls its signed change feed every two seconds. Cheap: one more process, and the
57 published offer versions replicate in a few seconds.
"""

from __future__ import annotations

import sys
import time

import httpx
import msgspec

from marketplace.db import Database
from marketplace.demo.flow.children import Child, wait_until_answers
from marketplace.demo.flow.config import HOST, FlowConfig
from marketplace.demo.flow.prepare import open_database
from marketplace.demo.seed import SEED_OPERATOR
from marketplace.federation import service
from marketplace.federation.keys import NodeKey, key_path
from marketplace.federation.schemas import PeerIn

HOME = "dresden"
REPLICA = "zweit"


async def prepare_federation(config: FlowConfig) -> None:
    """Both nodes initialised, the replica following the demo node (once)."""
    home_key = NodeKey.load_or_create(key_path(config.db))
    async with open_database(config) as db:
        home = await service.init_node(db, home_key, HOME, config.marketplace_url)
    replica_key = NodeKey.load_or_create(key_path(config.replica_db))
    async with Database(config.replica_db, readers=1) as db:
        await service.init_node(db, replica_key, REPLICA, config.replica_url)
        wanted = PeerIn(name=HOME, base_url=home.base_url, public_key=home.public_key)
        known = await service.peers(db, SEED_OPERATOR, stale_after=1e9)
        same = [
            p
            for p in known
            if (p.name, p.base_url, p.public_key)
            == (wanted.name, wanted.base_url, wanted.public_key)
        ]
        if not same:
            if any(p.name == HOME for p in known):
                await service.remove_peer(db, SEED_OPERATOR, HOME)
            await service.add_peer(db, SEED_OPERATOR, wanted)


def start_replica(config: FlowConfig) -> Child:
    argv = [sys.executable, "-m", "marketplace", "--db", str(config.replica_db)]
    argv += ["serve", "--host", HOST, "--port", str(config.replica_port)]
    argv.append("--no-deliver")
    env = {"MARKETPLACE_FEDERATION_INTERVAL": "2"}
    child = Child("knoten-zweit", argv, config.var / "logs", env)
    wait_until_answers(child, f"{config.replica_url}/health")
    return child


class Replication(msgspec.Struct, kw_only=True, frozen=True):
    home_offers: int
    replica_offers: int


def wait_replicated(config: FlowConfig, timeout: float = 60.0) -> Replication:
    """Offers in both catalogs, once the replica has them all (or at timeout)."""
    deadline = time.monotonic() + timeout
    while True:
        home = _offers(config.marketplace_url)
        replica = _offers(config.replica_url)
        if replica >= home or time.monotonic() > deadline:
            return Replication(home_offers=home, replica_offers=replica)
        time.sleep(0.5)


def _offers(base_url: str) -> int:
    answer = httpx.get(
        f"{base_url}/api/v1/catalog/search", params={"per_page": 1}, timeout=10
    )
    answer.raise_for_status()
    total: int = answer.json()["total"]
    return total
