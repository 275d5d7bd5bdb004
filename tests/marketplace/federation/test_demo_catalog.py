"""The whole demo catalog (every cost component kind, second versions, Land
shares) replicated to an empty node: the same offers and the same facets."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import msgspec
import pytest

from marketplace.catalog import service as catalog
from marketplace.catalog.schemas import SearchPage, SearchQuery
from marketplace.db import Database
from marketplace.federation import service as federation
from tests.marketplace.federation.cluster import cli
from tests.support.processes import start_marketplace

pytestmark = pytest.mark.timeout(120)


async def _replica(db_path: Path) -> tuple[SearchPage, str]:
    async with Database(db_path, readers=1) as db:
        found = await catalog.search_catalog(db, None, SearchQuery(per_page=100))
        return found, (await federation.digest(db)).sha256


def test_demo_catalog_replicates_with_the_same_facets(tmp_path: Path) -> None:
    """GIVEN the demo marketplace (50 offers, 7 of them with a second version)
    running as node 'demo'
    WHEN a node with an empty catalog adds it as a peer and syncs once (CLI)
    THEN it applied all 57 published versions with no incident, holds the same
    catalog (equal digests), and its search shows the same total and facet
    counts as the demo node's own search."""
    demo_db = tmp_path / "demo.sqlite3"
    process, base = start_marketplace(demo_db, tmp_path / "demo.log", seed_demo=True)
    try:
        shown = cli(demo_db, "node", "init", "--name", "demo", "--url", base)
        public_key = shown.split("public_key ")[1].strip()
        replica = tmp_path / "leer.sqlite3"
        cli(replica, "node", "init", "--name", "leer", "--url", "http://127.0.0.1:9")
        cli(replica, "peers", "add", "demo", base, public_key)
        synced = cli(replica, "peers", "sync")
        assert "demo: 57 abgerufen, 57 übernommen, 0 abgewiesen, Stand 57" in synced
        home = httpx.get(f"{base}/api/v1/catalog/search", params={"per_page": 100})
        home_digest = httpx.get(f"{base}/api/v1/federation/catalog-digest").json()
    finally:
        process.stop()
    page, digest = asyncio.run(_replica(replica))
    expected = home.json()
    assert digest == home_digest["sha256"]
    assert page.total == expected["total"] == 50
    facets = msgspec.to_builtins(page.facets)
    for name, values in expected["facets"].items():
        assert facets[name] == values, name
    assert {hit.home_node for hit in page.hits} == {"demo"}
