"""The ``marketplace node`` and ``marketplace peers`` commands as an operator
types them: two nodes, one real server, and a pull through the CLI (on the
PostgreSQL backend the commands run on a PostgreSQL database)."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from functools import partial
from pathlib import Path

import pytest

from marketplace.federation.keys import key_path
from tests.marketplace.federation.cluster import cli as run_cli
from tests.marketplace.federation.cluster import start_cluster

pytestmark = pytest.mark.timeout(120)


def test_node_and_peers_commands(
    tmp_path: Path, backend_url: Callable[[], str]
) -> None:
    """GIVEN a running node 'quelle' with three offers and a fresh database
    WHEN the fresh one is initialised, given a sample of its own, 'quelle' is added
    as a peer with its public key, synced, listed and removed by the CLI
    THEN the key file is private (0600) and stable, the sync applied 3 entries, the
    listing shows the cursor, and a removed peer is gone (its offers stay)."""
    (source,) = start_cluster(tmp_path, {"quelle": 3}, interval=3600, stale=3600)
    cli = partial(run_cli, database_url=backend_url())
    try:
        db = tmp_path / "ziel.sqlite3"
        shown = cli(db, "node", "init", "--name", "ziel", "--url", "http://127.0.0.1:9")
        assert stat.S_IMODE(os.stat(key_path(db)).st_mode) == 0o600
        assert cli(db, "node", "show") == shown
        assert "Knoten ziel: 2 Angebote" in cli(db, "node", "sample", "--offers", "2")
        cli(db, "peers", "add", "quelle", source.base, source.public_key)
        synced = cli(db, "peers", "sync")
        assert "quelle: 3 abgerufen, 3 übernommen, 0 abgewiesen, Stand 3" in synced
        assert "Stand 3" in cli(db, "peers", "list")
        cli(db, "peers", "remove", "quelle")
        assert cli(db, "peers", "list") == ""
    finally:
        source.stop()
