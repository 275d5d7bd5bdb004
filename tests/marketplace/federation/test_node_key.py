"""The node key shared by all workers of a node.

Workers started together on one folder create one key between them; a worker
whose key file is not the node's refuses to start (it would seal feed entries
that peers refuse for ever); a node initialised before keys were recorded
records the key at its first start."""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from marketplace.app import create_app
from marketplace.db import Database
from marketplace.federation import repository, service
from marketplace.federation.keys import NodeKey
from marketplace.federation.service import NodeKeyMismatch
from marketplace.settings import Settings


def _public_key_of(path: str) -> str:
    return NodeKey.load_or_create(Path(path)).public_hex


def test_workers_starting_together_create_one_key(tmp_path: Path) -> None:
    """GIVEN no key file WHEN eight processes load-or-create it at the same time
    THEN all hold the same key, the file is private, no temporary file is left."""
    path = tmp_path / "app.sqlite3.node-key"
    with ProcessPoolExecutor(8) as pool:
        keys = list(pool.map(_public_key_of, [str(path)] * 8))
    assert len(set(keys)) == 1
    assert keys[0] == NodeKey.load_or_create(path).public_hex
    assert path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


async def _node_key(db: Database) -> str | None:
    async with db.read() as conn:
        found = await repository.node(conn)
    assert found is not None
    return found["public_key"]  # type: ignore[no-any-return]


async def test_a_worker_with_another_key_is_refused(
    client: AsyncTestClient[Litestar], app_db: Database, settings: Settings
) -> None:
    """GIVEN a node initialised with one key
    WHEN a worker checks another key, and a second app (a worker) starts on the
    same database with a key file that is not the node's
    THEN the check is refused with a German explanation and that app does not
    start; the node's own key passes."""
    mine, other = NodeKey.generate(), NodeKey.generate()
    await service.init_node(app_db, mine, "nord", "http://127.0.0.1:9")
    await service.check_node_key(app_db, mine, Path("k"))
    with pytest.raises(NodeKeyMismatch, match="dieselbe Schlüsseldatei"):
        await service.check_node_key(app_db, other, Path("k"))
    # The same document folder, so the key file of the running app, which is
    # not the key the node was initialised with.
    second = msgspec.structs.replace(
        settings, database_url=getattr(app_db, "url", ""), deliver=False
    )
    with pytest.raises(BaseExceptionGroup) as refused:
        async with AsyncTestClient(create_app(second)):
            pass
    assert refused.group_contains(NodeKeyMismatch, depth=None)


async def test_a_node_without_a_recorded_key_records_it(
    app_db: Database,
) -> None:
    """GIVEN a node whose row has no public key (initialised before keys were
    recorded) WHEN a worker starts THEN its key is recorded, and a later worker
    with another key is refused."""
    mine = NodeKey.generate()
    await service.init_node(app_db, mine, "nord", "http://127.0.0.1:9")
    async with app_db.transaction() as conn:
        await conn.execute("UPDATE federation_node SET public_key = NULL")
    await service.check_node_key(app_db, mine, Path("k"))
    assert await _node_key(app_db) == mine.public_hex
    with pytest.raises(NodeKeyMismatch):
        await service.check_node_key(app_db, NodeKey.generate(), Path("k"))
