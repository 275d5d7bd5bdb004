"""Delivery rules for people and machines: who manages a subscription's routes,
route settings checked by the connector itself and stored with secrets hidden,
the outbox and its dead letters, manual retry, and the transfer log."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors import registry
from connectors.errors import ConnectorError
from marketplace.db import Connection, Database
from marketplace.delivery import outbox_repository, repository, rules
from marketplace.delivery.schemas import (
    SECRET_MASK,
    Breaker,
    OutboxItem,
    OutboxState,
    Route,
    RouteChange,
    RouteIn,
    StoredRoute,
    TransferLogPage,
    TransferLogRow,
)
from marketplace.documents.schemas import DocumentPurged
from marketplace.errors import InvalidInput, InvalidTransition, NotFound
from marketplace.identity.schemas import Principal, Role
from marketplace.identity.service import require_role
from marketplace.subscriptions import repository as subscriptions
from marketplace.subscriptions.schemas import Subscription, SubscriptionState

BreakerView = Callable[[str], Breaker]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


async def own_subscription(
    conn: Connection,
    principal: Principal | None,
    subscription_id: str,
    *,
    provider_may: bool = False,
) -> Subscription:
    """The subscription if the caller manages it (its municipality, the operator,
    with ``provider_may`` also its provider); otherwise 404, as if it did not exist."""
    caller = require_role(principal, *Role)
    found = await subscriptions.get(conn, subscription_id, datetime.now(UTC).date())
    allowed = found is not None and (
        caller.role is Role.OPERATOR
        or caller.municipality_ags == found.municipality_ags
        or (provider_may and caller.provider_id == found.provider_id)
    )
    if found is None or not allowed:
        raise NotFound(f"Das Abonnement {subscription_id} gibt es nicht.")
    return found


def require_own_municipality(principal: Principal | None, ags: str) -> Principal:
    caller = require_role(principal, Role.MUNICIPALITY_BUYER, Role.OPERATOR)
    if caller.role is Role.MUNICIPALITY_BUYER and caller.municipality_ags != ags:
        raise NotFound(f"Die Kommune {ags} gibt es hier nicht.")
    return caller


# Routes ------------------------------------------------------------------------------


async def routes(
    db: Database,
    principal: Principal | None,
    subscription_id: str,
    breaker: BreakerView | None = None,
) -> list[Route]:
    async with db.read() as conn:
        await own_subscription(conn, principal, subscription_id)
        stored = await repository.routes_of(conn, subscription_id)
        counts = await repository.route_counts(conn, subscription_id)
    return [_shown(r, counts.get(r.id, {}), breaker) for r in stored]


async def add_route(
    db: Database,
    principal: Principal | None,
    subscription_id: str,
    data: RouteIn,
    folder_root: Path,
) -> Route:
    async with db.transaction() as conn:
        found = await own_subscription(conn, principal, subscription_id)
        _require_running(found)
        if found.environment.value == "test" and data.environment == "production":
            raise InvalidInput(
                "Ein Testabonnement hat nur Testrouten; Produktionsrouten gehören "
                "zum Produktionsabonnement."
            )
        values = await _checked(data.kind, data.settings, folder_root)
        await _require_free_name(conn, subscription_id, data.name, None)
        route_id = await repository.insert_route(
            conn,
            subscription_id,
            {
                "name": data.name,
                "environment": data.environment,
                "kind": data.kind,
                "settings": values,
                "endpoint": rules.endpoint(data.kind, values),
                "enabled": data.enabled,
            },
            _now(),
        )
        stored = await repository.route(conn, route_id)
    assert stored is not None
    return _shown(stored, {}, None)


async def change_route(
    db: Database,
    principal: Principal | None,
    subscription_id: str,
    route_id: int,
    data: RouteChange,
    folder_root: Path,
) -> Route:
    async with db.transaction() as conn:
        await own_subscription(conn, principal, subscription_id)
        stored = await _route_of(conn, subscription_id, route_id)
        settings = stored.settings
        if data.settings is not None:
            settings = _merged(stored, data.settings)
            settings = await _checked(stored.kind, settings, folder_root)
        name = data.name if data.name is not None else stored.name
        await _require_free_name(conn, subscription_id, name, route_id)
        await repository.update_route(
            conn,
            route_id,
            {
                "name": name,
                "environment": stored.environment,
                "kind": stored.kind,
                "settings": settings,
                "endpoint": rules.endpoint(stored.kind, settings),
                "enabled": stored.enabled if data.enabled is None else data.enabled,
            },
            _now(),
        )
        changed = await repository.route(conn, route_id)
    assert changed is not None
    return _shown(changed, {}, None)


async def stored_route(
    conn: Connection, subscription_id: str, route_id: int
) -> StoredRoute:
    return await _route_of(conn, subscription_id, route_id)


async def _route_of(
    conn: Connection, subscription_id: str, route_id: int
) -> StoredRoute:
    stored = await repository.route(conn, route_id)
    if stored is None or stored.subscription_id != subscription_id:
        raise NotFound(f"Die Route {route_id} gibt es nicht.")
    return stored


def _require_running(found: Subscription) -> None:
    if found.state is SubscriptionState.ENDED:
        raise InvalidTransition(
            f"Das Abonnement {found.id} ist beendet.", state=found.state.value
        )


async def _require_free_name(
    conn: Connection, subscription_id: str, name: str, route_id: int | None
) -> None:
    for other in await repository.routes_of(conn, subscription_id):
        if other.name == name and other.id != route_id:
            raise InvalidInput(f"Eine Route „{name}“ gibt es schon.")


def _merged(stored: StoredRoute, given: dict[str, Any]) -> dict[str, Any]:
    """New settings; a secret left out or sent as the mask keeps its value."""
    merged = dict(given)
    for name, value in stored.settings.items():
        if rules.is_secret(stored.kind, name) and merged.get(name) in (
            None,
            "",
            SECRET_MASK,
        ):
            merged[name] = value
    return merged


async def _checked(
    kind: str, settings: dict[str, Any], folder_root: Path
) -> dict[str, Any]:
    """Let the connector itself judge the settings; drop folders stay under the
    marketplace's folder root (a municipality writes nowhere else)."""
    try:
        connector = registry.build(kind, settings)
    except ConnectorError as exc:
        raise InvalidInput(str(exc)) from exc
    await connector.aclose()
    if kind == "dropfolder" and not _below(Path(str(settings["path"])), folder_root):
        raise InvalidInput(
            f"Ablageordner müssen unter {folder_root} liegen (Vorgabe des Betriebs)."
        )
    return dict(settings)


def _below(path: Path, root: Path) -> bool:
    """Lexically below ``root`` after normalising ``..`` (no file system access)."""
    normal = Path(os.path.normpath(path.absolute()))
    return normal.is_relative_to(Path(os.path.normpath(root.absolute())))


def _shown(
    stored: StoredRoute, counts: dict[str, int], breaker: BreakerView | None
) -> Route:
    return Route(
        id=stored.id,
        subscription_id=stored.subscription_id,
        name=stored.name,
        environment=stored.environment,
        kind=stored.kind,
        settings=rules.masked(stored.kind, stored.settings, SECRET_MASK),
        endpoint=stored.endpoint,
        enabled=stored.enabled,
        created_at=stored.created_at,
        updated_at=stored.updated_at,
        counts=counts,
        breaker=breaker(stored.endpoint) if breaker else None,
    )


# Outbox ------------------------------------------------------------------------------


async def outbox(
    db: Database,
    principal: Principal | None,
    subscription_id: str,
    states: tuple[OutboxState, ...],
    limit: int,
) -> list[OutboxItem]:
    async with db.read() as conn:
        await own_subscription(conn, principal, subscription_id)
        return await outbox_repository.outbox_of(
            conn, subscription_id, states=tuple(s.value for s in states), limit=limit
        )


async def retry(
    db: Database, principal: Principal | None, subscription_id: str, outbox_id: int
) -> OutboxItem:
    """Put a dead letter back into the queue: attempts and age start again."""
    async with db.transaction() as conn:
        await own_subscription(conn, principal, subscription_id)
        item = await outbox_repository.outbox_item(conn, outbox_id)
        stored = await repository.route(conn, item.route_id) if item else None
        if item is None or stored is None or stored.subscription_id != subscription_id:
            raise NotFound(f"Den Zustellauftrag {outbox_id} gibt es nicht.")
        row = await repository.submission(conn, item.submission_id)
        if row is not None and row["body_purged_at"] is not None:
            raise DocumentPurged(row["body_purged_at"])
        if not await outbox_repository.retry_dead(conn, outbox_id, time.time()):
            raise InvalidTransition(
                "Nur unzustellbare Aufträge lassen sich erneut versuchen.",
                state=item.state.value,
            )
        again = await outbox_repository.outbox_item(conn, outbox_id)
    assert again is not None
    return again


# Transfer log ------------------------------------------------------------------------


async def transfer_log(
    db: Database, principal: Principal | None, ags: str, *, after: int, limit: int
) -> TransferLogPage:
    require_own_municipality(principal, ags)
    async with db.read() as conn:
        entries = await repository.log_page(conn, ags, after=after, limit=limit)
    next_after = entries[-1].id if len(entries) == limit else None
    return TransferLogPage(entries=entries, next_after=next_after)


async def recent_log(
    db: Database, principal: Principal | None, ags: str, limit: int
) -> list[TransferLogRow]:
    require_own_municipality(principal, ags)
    async with db.read() as conn:
        return await repository.log_latest(conn, ags, limit)
