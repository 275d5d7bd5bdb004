"""``marketplace documents purge [--dry-run] [--retention-days N]``: one purge
run now, under the same lock as the hourly one inside ``serve``."""

from __future__ import annotations

import argparse
import time
from typing import Any

from marketplace.db import database_for
from marketplace.documents.runtime import purge_once
from marketplace.objectstore import object_store_for
from marketplace.settings import Settings

COMMANDS = ("documents",)


def add_commands(sub: Any) -> None:
    documents = sub.add_parser("documents", help="document bodies in the store")
    actions = documents.add_subparsers(dest="documents_command", required=True)
    purge = actions.add_parser(
        "purge",
        help="delete bodies delivered longer ago than the retention, and"
        " unreferenced objects older than the grace period",
    )
    purge.add_argument(
        "--dry-run", action="store_true", help="count only, delete nothing"
    )
    add_retention_argument(purge)


def add_retention_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--retention-days",
        type=float,
        default=None,
        help="days a delivered body stays in the store (default 30; 0: purge"
        " right after delivery)",
    )


async def run(args: argparse.Namespace, settings: Settings) -> int:
    store = object_store_for(settings)
    try:
        async with database_for(settings, connections=1) as db:
            report = await purge_once(
                db, store, settings, now=time.time(), dry_run=args.dry_run
            )
    finally:
        await store.close()
    assert report is not None  # waited for the lock
    print("\n".join(report.lines()))
    return 0
