"""``marketplace node ...`` and ``marketplace peers ...``: the node's identity,
a sample catalog, and the peers this node replicates from."""

from __future__ import annotations

import argparse

import httpx
import msgspec

from marketplace.db import Database, database_for
from marketplace.federation import sample, service
from marketplace.federation.keys import NodeKey, key_path
from marketplace.federation.schemas import PeerIn
from marketplace.identity.schemas import Principal, Role
from marketplace.settings import Settings

COMMANDS = ("node", "peers")
CLI_OPERATOR = Principal(
    user_id=0, login="cli", display_name="Kommandozeile", role=Role.OPERATOR
)


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    node = sub.add_parser("node", help="this node's federation identity")
    node_sub = node.add_subparsers(dest="node_command", required=True)
    init = node_sub.add_parser("init", help="set name and base URL; create the key")
    init.add_argument("--name", required=True)
    init.add_argument("--url", required=True, help="base URL peers reach us at")
    node_sub.add_parser("show", help="print name, URL and public key")
    seed = node_sub.add_parser("sample", help="load a small catalog of own offers")
    seed.add_argument("--offers", type=int, default=20)
    seed.add_argument("--buyer-index", type=int, default=0)
    change = node_sub.add_parser("sample-change", help="new versions of own offers")
    change.add_argument("--count", type=int, required=True)

    peers = sub.add_parser("peers", help="the nodes this node replicates from")
    peers_sub = peers.add_subparsers(dest="peers_command", required=True)
    add = peers_sub.add_parser("add", help="add a peer with its public key")
    add.add_argument("name")
    add.add_argument("url")
    add.add_argument("public_key")
    peers_sub.add_parser("list", help="peers with cursor and status")
    remove = peers_sub.add_parser("remove", help="stop replicating from a peer")
    remove.add_argument("name")
    sync = peers_sub.add_parser("sync", help="pull once from every enabled peer")
    sync.add_argument("--full", action="store_true", help="from the beginning")
    sync.add_argument("--peer", help="only this peer")


async def run(args: argparse.Namespace, settings: Settings) -> int:
    key = NodeKey.load_or_create(key_path(settings.db_path))
    async with database_for(settings, connections=1) as db:
        if args.command == "node":
            await _node(args, db, key)
        else:
            await _peers(args, db, settings)
    return 0


async def _node(args: argparse.Namespace, db: Database, key: NodeKey) -> None:
    if args.node_command == "init":
        info = await service.init_node(db, key, args.name, args.url)
    elif args.node_command == "sample":
        print(
            await sample.seed_sample(
                db, offers=args.offers, buyer_index=args.buyer_index
            )
        )
        return
    elif args.node_command == "sample-change":
        print(f"{await sample.change_sample(db, count=args.count)} Angebote geändert")
        return
    else:
        info = await service.node_info(db, key)
    print(f"name {info.name}\nurl {info.base_url}\npublic_key {info.public_key}")


async def _peers(args: argparse.Namespace, db: Database, settings: Settings) -> None:
    if args.peers_command == "add":
        data = msgspec.convert(
            {"name": args.name, "base_url": args.url, "public_key": args.public_key},
            PeerIn,
        )
        await service.add_peer(db, CLI_OPERATOR, data)
        print(f"Partnerknoten {args.name} eingetragen")
    elif args.peers_command == "list":
        stale_after = settings.federation_stale_after
        for peer in await service.peers(db, CLI_OPERATOR, stale_after=stale_after):
            state = "veraltet" if peer.stale else "aktuell"
            state = state if peer.enabled else "angehalten"
            print(f"{peer.name}\t{peer.base_url}\tStand {peer.cursor}\t{state}")
    elif args.peers_command == "remove":
        await service.remove_peer(db, CLI_OPERATOR, args.name)
        print(f"Partnerknoten {args.name} ausgetragen")
    else:
        async with httpx.AsyncClient(timeout=10.0) as client:
            results = await service.sync(
                db, CLI_OPERATOR, client, name=args.peer, full=args.full
            )
        for result in results:
            print(
                f"{result.peer}: {result.fetched} abgerufen, {result.applied} "
                f"übernommen, {result.rejected} abgewiesen, Stand {result.cursor}"
                + (f", Fehler: {result.error}" if result.error else "")
            )
