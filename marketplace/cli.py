"""The ``marketplace`` command: serve, migrate, seed, and manage accounts."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path

import msgspec

from marketplace.db import Database, database_for
from marketplace.documents import cli as documents_cli
from marketplace.errors import MarketplaceError
from marketplace.federation import cli as federation_cli
from marketplace.identity import service as identity
from marketplace.identity.schemas import Principal, Role
from marketplace.objectstore import StoreUnavailable, object_store_for
from marketplace.settings import Settings

log = logging.getLogger("marketplace")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="marketplace", description=__doc__)
    parser.add_argument(
        "--db", type=Path, help="SQLite file (default var/marketplace.sqlite3)"
    )
    parser.add_argument(
        "--database-url",
        help="postgresql://user@host:port/name: share one PostgreSQL database between"
        " several marketplace processes; --db's folder still holds the documents"
        " unless --object-store",
    )
    parser.add_argument(
        "--object-store",
        help="s3://bucket/prefix?endpoint=http://host:port&region=...: document"
        " bodies in an S3-compatible store; credentials from MARKETPLACE_S3_ACCESS_KEY"
        " and MARKETPLACE_S3_SECRET_KEY (or AWS_ACCESS_KEY_ID and"
        " AWS_SECRET_ACCESS_KEY). Default: the folder of --db",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the API and the web pages")
    serve.add_argument("--host", default=None)
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument(
        "--seed-demo",
        action="store_true",
        help="load the demo catalog first if the database is empty",
    )
    serve.add_argument("--debug", action="store_true")
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        help="worker processes on one port (needs --database-url; each runs the"
        " delivery engine)",
    )
    serve.add_argument(
        "--deliver",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="run the delivery engine in this process (default: on)",
    )
    documents_cli.add_retention_argument(serve)

    sub.add_parser("migrate", help="create or upgrade the database schema")

    seed = sub.add_parser("seed", help="load data into the database")
    seed.add_argument(
        "--demo",
        action="store_true",
        required=True,
        help="the demo catalog, municipalities and accounts",
    )

    user = sub.add_parser("user", help="create an account (password read from stdin)")
    user.add_argument("login")
    user.add_argument("--name", required=True, help="display name")
    user.add_argument("--role", choices=[r.value for r in Role], required=True)
    user.add_argument("--provider", help="provider id for provider_admin")
    user.add_argument("--ags", help="municipality AGS for municipality_buyer")

    token = sub.add_parser("token", help="issue an API token for an account")
    token.add_argument("login")
    token.add_argument("--name", default="CLI")
    federation_cli.add_commands(sub)
    documents_cli.add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = Settings.from_environ(
        os.environ,
        db_path=args.db,
        database_url=args.database_url,
        object_store=args.object_store,
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
        debug=getattr(args, "debug", None) or None,
        deliver=getattr(args, "deliver", None),
        retention_days=getattr(args, "retention_days", None),
    )
    try:
        if args.command == "serve":
            return _serve(settings, seed_demo=args.seed_demo, workers=args.workers)
        if args.command in federation_cli.COMMANDS:
            return asyncio.run(federation_cli.run(args, settings))
        if args.command in documents_cli.COMMANDS:
            return asyncio.run(documents_cli.run(args, settings))
        return asyncio.run(_run_command(args, settings))
    except MarketplaceError as exc:
        print(f"Fehler: {exc.detail}", file=sys.stderr)
        return 1


async def _run_command(args: argparse.Namespace, settings: Settings) -> int:
    async with database_for(settings, connections=1) as db:
        if args.command == "migrate":
            where = settings.database_url or settings.db_path
            print(f"schema version {db.schema_version}: {where}")
        elif args.command == "seed":
            summary = await _seed_demo(db)
            print(summary)
        elif args.command == "user":
            password = _read_password()
            await identity.create_user(
                db,
                login=args.login,
                display_name=args.name,
                password=password,
                role=Role(args.role),
                provider_id=args.provider,
                municipality_ags=args.ags,
            )
            print(f"account {args.login} created")
        elif args.command == "token":
            principal = await _principal_by_login(db, args.login)
            issued = await identity.issue_token(db, principal, args.name)
            print(issued.token)
    return 0


def _serve(settings: Settings, *, seed_demo: bool, workers: int) -> int:
    import uvicorn

    from marketplace.app import WORKER_SETTINGS, create_app

    if workers > 1 and not settings.database_url:
        raise MarketplaceError(
            "Mehrere Worker brauchen eine gemeinsame PostgreSQL-Datenbank "
            "(--database-url postgresql://...)."
        )
    if settings.database_url:
        asyncio.run(_check_connections(settings.database_url, settings, workers))
    asyncio.run(_check_documents(settings))
    if seed_demo:
        asyncio.run(_seed_on_start(settings))
    level = "debug" if settings.debug else "info"
    if workers <= 1:
        uvicorn.run(
            create_app(settings),
            host=settings.host,
            port=settings.port,
            log_level=level,
        )
        return 0
    # One CSRF secret for all workers, so a form from one is accepted by another.
    shared = msgspec.structs.replace(
        settings, csrf_secret=settings.csrf_secret or secrets.token_urlsafe(32)
    )
    os.environ[WORKER_SETTINGS] = msgspec.json.encode(shared, enc_hook=str).decode()
    uvicorn.run(
        "marketplace.app:worker_app",
        factory=True,
        workers=workers,
        host=settings.host,
        port=settings.port,
        log_level=level,
    )
    return 0


async def _check_connections(url: str, settings: Settings, workers: int) -> None:
    """Refuse workers that PostgreSQL cannot give their connections to."""
    from marketplace.db.postgres import check_budget, connection_budget

    budget = await connection_budget(
        url,
        workers=max(workers, 1),
        read_connections=settings.read_connections,
    )
    check_budget(budget)
    log.info(
        "PostgreSQL connections: up to %d for %d worker(s), %d free",
        budget.needed,
        budget.workers,
        budget.free,
    )


async def _check_documents(settings: Settings) -> None:
    """Refuse to start with a document store that refuses this node (wrong
    credentials, no bucket); one that does not answer yet only gets a warning:
    uploads are answered 503 (and retried by the senders) until it is back."""
    documents = object_store_for(settings)
    try:
        await documents.check()
    except StoreUnavailable as exc:
        if exc.reachable:
            raise MarketplaceError(f"{exc.cause} Dokumentablage: {documents}") from exc
        log.warning("document store %s not reachable yet (%s)", documents, exc.reason)
    else:
        log.info("document store: %s", documents)
    finally:
        await documents.close()


async def _seed_on_start(settings: Settings) -> None:
    from marketplace.demo.delivery import seed_delivery

    documents = object_store_for(settings)
    async with database_for(settings, connections=1) as db:
        print(await _seed_demo(db))
        print(await seed_delivery(db, documents=documents))
    await documents.close()


async def _seed_demo(db: Database) -> str:
    from marketplace.demo import seed_demo

    return str(await seed_demo(db))


def _read_password() -> str:
    if sys.stdin.isatty():
        return getpass.getpass("Passwort: ")
    return sys.stdin.readline().rstrip("\n")


async def _principal_by_login(db: Database, login: str) -> Principal:
    from marketplace.identity import repository

    async with db.read() as conn:
        found = await repository.password_hash_for(conn, login)
    if found is None:
        raise MarketplaceError(f"Es gibt kein Konto „{login}“.")
    return found[0]
