"""Federation use cases: the node's identity, peers (operator only), pulling,
incidents, staleness and the catalog digest."""

from __future__ import annotations

import logging
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import msgspec

from marketplace.catalog import repository as catalog_rows
from marketplace.catalog.schemas import Land
from marketplace.db import Database
from marketplace.demo.seed import _data, _entry
from marketplace.errors import Conflict, InvalidInput, MarketplaceError, NotFound
from marketplace.federation import contract_rows, pull, replica_rows, repository
from marketplace.federation.feed import node_name, now_iso
from marketplace.federation.keys import NodeKey
from marketplace.federation.messages import RemoteContract
from marketplace.federation.schemas import (
    CatalogDigest,
    Incident,
    NodeInfo,
    Peer,
    PeerIn,
    SyncResult,
)
from marketplace.identity.schemas import Principal, Role
from marketplace.identity.service import require_role

log = logging.getLogger(__name__)


class NodeKeyMismatch(MarketplaceError):
    """This process's node key is not the key recorded for the node."""

    status_code = 500
    title = "Falscher Knotenschlüssel"
    slug = "node-key-mismatch"


_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
_URL = re.compile(r"^https?://[^\s/]+(/[^\s]*)?$")


async def init_node(db: Database, key: NodeKey, name: str, base_url: str) -> NodeInfo:
    if not _NAME.match(name):
        raise InvalidInput(
            f"„{name}“ ist kein Knotenname (2-40 Zeichen: a-z, 0-9, Bindestrich)."
        )
    if not _URL.match(base_url):
        raise InvalidInput(f"„{base_url}“ ist keine http(s)-Adresse.")
    async with db.transaction() as conn:
        await repository.save_node(
            conn, name, base_url.rstrip("/"), key.public_hex, now_iso()
        )
        if not await catalog_rows.list_laender(conn):
            # providers and offers name their Land: replicas need the 16 Länder
            for land in _data("laender.json")["laender"]:
                await catalog_rows.upsert_land(conn, _entry(land, Land))
    return await node_info(db, key)


async def check_node_key(db: Database, key: NodeKey, path: Path) -> None:
    """Refuse a worker whose key file is not the node's key.

    All workers of a node sign its feed, usage reports and contract messages;
    peers verify them with the one public key they were given. A worker with
    another key file (a machine of its own whose ``--db`` folder lacks the
    node's key) would seal feed entries that peers refuse for ever, so it must
    not start. The first start after ``node init`` without a recorded key
    records the worker's key."""
    async with db.transaction() as conn:
        found = await repository.node(conn)
        if found is None:
            return
        if found["public_key"] is None:
            await repository.record_node_key(conn, key.public_hex)
            return
    if found["public_key"] != key.public_hex:
        raise NodeKeyMismatch(
            f"Die Schlüsseldatei {path} gehört nicht zu Knoten „{found['name']}“ "
            f"(dessen öffentlicher Schlüssel beginnt mit {found['public_key'][:16]}). "
            "Alle Worker eines Knotens brauchen dieselbe Schlüsseldatei: bitte die "
            "des Knotens hierher kopieren, oder den Knoten mit „marketplace node "
            "init“ auf diesen Schlüssel umstellen (die Partner brauchen dann den "
            "neuen öffentlichen Schlüssel)."
        )


async def node_info(db: Database, key: NodeKey) -> NodeInfo:
    async with db.read() as conn:
        found = await repository.node(conn)
    if found is None:
        raise NotFound(
            "Dieser Marktplatz ist nicht als Föderationsknoten eingerichtet "
            "(marketplace node init)."
        )
    return NodeInfo(
        name=found["name"], base_url=found["base_url"], public_key=key.public_hex
    )


async def add_peer(db: Database, principal: Principal | None, data: PeerIn) -> Peer:
    require_role(principal, Role.OPERATOR)
    async with db.transaction() as conn:
        if data.name == await node_name(conn):
            raise InvalidInput("Ein Knoten kann nicht sein eigener Partner sein.")
        try:
            await repository.insert_peer(conn, data, now_iso())
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"Den Partnerknoten „{data.name}“ gibt es schon.") from exc
        found = await repository.peer(conn, data.name)
    assert found is not None
    return found


async def peers(
    db: Database, principal: Principal | None, *, stale_after: float
) -> list[Peer]:
    require_role(principal, Role.OPERATOR)
    async with db.read() as conn:
        found = await repository.peers(conn)
        gaps = {p.name: await repository.gaps(conn, p.name) for p in found}
    return [_with_status(p, stale_after, gaps[p.name]) for p in found]


def _with_status(found: Peer, stale_after: float, gaps: list[int]) -> Peer:
    return msgspec.structs.replace(found, stale=is_stale(found, stale_after), gaps=gaps)


def is_stale(found: Peer, stale_after: float, now: datetime | None = None) -> bool:
    """Not heard from for longer than ``stale_after`` seconds (by our clock)."""
    since = found.last_success_at or found.added_at
    moment = now or datetime.now(UTC)
    return moment - datetime.fromisoformat(since) > timedelta(seconds=stale_after)


async def stale_nodes(db: Database, stale_after: float) -> set[str]:
    """Home nodes whose offers are shown as "derzeit nicht bestätigt"."""
    async with db.read() as conn:
        found = await repository.peers(conn)
    return {p.name for p in found if is_stale(p, stale_after)}


async def remove_peer(db: Database, principal: Principal | None, name: str) -> None:
    """Stop replicating from a peer; its offers stay, unconfirmed from now on."""
    require_role(principal, Role.OPERATOR)
    async with db.transaction() as conn:
        if not await repository.delete_peer(conn, name):
            raise NotFound(f"Den Partnerknoten „{name}“ gibt es nicht.")


async def switch_peer(
    db: Database, principal: Principal | None, name: str, enabled: bool
) -> Peer:
    """Pause or resume pulling from one peer (maintenance, or a test's partition)."""
    require_role(principal, Role.OPERATOR)
    async with db.transaction() as conn:
        if not await repository.set_enabled(conn, name, enabled):
            raise NotFound(f"Den Partnerknoten „{name}“ gibt es nicht.")
        found = await repository.peer(conn, name)
    assert found is not None
    return found


async def incidents(
    db: Database, principal: Principal | None, peer: str | None = None
) -> list[Incident]:
    require_role(principal, Role.OPERATOR)
    async with db.read() as conn:
        return await repository.incidents(conn, peer)


async def sync(
    db: Database,
    principal: Principal | None,
    client: httpx.AsyncClient,
    *,
    name: str | None = None,
    full: bool = False,
) -> list[SyncResult]:
    """Pull once from one peer or from every enabled peer (after a round that
    another worker or the background puller has under way)."""
    require_role(principal, Role.OPERATOR)
    async with db.exclusive(pull.PULLING):
        async with db.read() as conn:
            found = await repository.peers(conn)
        if name is not None:
            found = [p for p in found if p.name == name]
            if not found:
                raise NotFound(f"Den Partnerknoten „{name}“ gibt es nicht.")
        else:
            found = [p for p in found if p.enabled]
        return [await pull.sync_peer(db, client, p, full=full) for p in found]


async def remote_contracts(
    db: Database, principal: Principal | None
) -> list[RemoteContract]:
    """Cross-node contracts of the caller's municipality or provider (all for
    the operator)."""
    caller = require_role(principal, *Role)
    async with db.read() as conn:
        return await contract_rows.listing(
            conn, ags=caller.municipality_ags, provider_id=caller.provider_id
        )


async def digest(db: Database) -> CatalogDigest:
    async with db.read() as conn:
        me = await node_name(conn)
        return await replica_rows.digest(conn, me)
