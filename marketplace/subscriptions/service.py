"""Subscription rules: only under an active contract, only for the contract's
municipality, test and production kept apart, idempotent creation."""

from __future__ import annotations

from datetime import UTC, datetime

from marketplace.contracts import repository as contracts
from marketplace.contracts.schemas import Contract, State
from marketplace.db import Connection, Database
from marketplace.errors import Conflict, InvalidTransition, NotFound
from marketplace.identity.schemas import Principal, Role
from marketplace.identity.service import require_role
from marketplace.subscriptions import repository
from marketplace.subscriptions.schemas import (
    Subscription,
    SubscriptionIn,
    SubscriptionSettings,
)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


async def put_subscription(
    db: Database,
    principal: Principal | None,
    subscription_id: str,
    data: SubscriptionIn,
) -> tuple[Subscription, bool]:
    """Create the subscription, or confirm the identical one: (subscription, created).

    The same id with other content, or a second active subscription of the same
    contract and environment, is a conflict.
    """
    caller = require_role(principal, Role.MUNICIPALITY_BUYER, Role.OPERATOR)
    async with db.transaction() as conn:
        existing = await repository.get(conn, subscription_id)
        if existing is not None:
            _same_or_conflict(existing, data, caller)
            return existing, False
        contract = await _own_active_contract(conn, caller, data.contract_id)
        other = await repository.active_for(conn, contract.id, data.environment)
        if other is not None:
            raise Conflict(
                f"Für diesen Vertrag besteht bereits ein {_env(data.environment)}-"
                f"Abonnement ({other.id}).",
                existing_id=other.id,
            )
        await repository.insert(
            conn,
            subscription_id,
            data,
            ags=contract.municipality_ags,
            provider_id=contract.provider_id,
            offer_version_id=contract.offer_version_id,
            now=_now(),
        )
        created = await repository.get(conn, subscription_id)
    if created is None:
        raise RuntimeError("subscription vanished inside its transaction")
    return created, True


async def subscription(
    db: Database, principal: Principal | None, subscription_id: str
) -> Subscription:
    async with db.read() as conn:
        found = await repository.get(conn, subscription_id)
    return _visible(found, principal, subscription_id)


async def subscriptions(
    db: Database, principal: Principal | None
) -> list[Subscription]:
    caller = require_role(principal, *Role)
    async with db.read() as conn:
        return await repository.listing(
            conn, ags=caller.municipality_ags, provider_id=caller.provider_id
        )


async def change_settings(
    db: Database,
    principal: Principal | None,
    subscription_id: str,
    data: SubscriptionSettings,
) -> Subscription:
    async with db.transaction() as conn:
        found = _visible(
            await repository.get(conn, subscription_id), principal, subscription_id
        )
        _require_buyer(principal, found)
        if found.state != "active":
            raise InvalidTransition("Das Abonnement ist beendet.")
        await repository.update_settings(
            conn, subscription_id, data.endpoint_url, data.fachverfahren, _now()
        )
        return _visible(
            await repository.get(conn, subscription_id), principal, subscription_id
        )


async def end_subscription(
    db: Database, principal: Principal | None, subscription_id: str
) -> Subscription:
    async with db.transaction() as conn:
        found = _visible(
            await repository.get(conn, subscription_id), principal, subscription_id
        )
        _require_buyer(principal, found)
        await repository.end(conn, subscription_id, _now())
        return _visible(
            await repository.get(conn, subscription_id), principal, subscription_id
        )


def _same_or_conflict(
    existing: Subscription, data: SubscriptionIn, caller: Principal
) -> None:
    if (
        caller.role is not Role.OPERATOR
        and caller.municipality_ags != existing.municipality_ags
    ):
        raise Conflict(f"Die Kennung {existing.id} ist bereits vergeben.")
    same = (
        existing.contract_id == data.contract_id
        and existing.environment == data.environment
        and existing.endpoint_url == data.endpoint_url
        and existing.fachverfahren == data.fachverfahren
    )
    if not same:
        raise Conflict(
            f"Das Abonnement {existing.id} besteht bereits mit anderen Angaben; "
            "ändern Sie es über seine Einstellungen."
        )


async def _own_active_contract(
    conn: Connection, caller: Principal, contract_id: int
) -> Contract:
    contract = await contracts.get_contract(conn, contract_id)
    if contract is None or not (
        caller.role is Role.OPERATOR
        or caller.municipality_ags == contract.municipality_ags
    ):
        raise NotFound(f"Den Vertrag {contract_id} gibt es nicht.")
    if contract.state is not State.ACTIVE:
        raise InvalidTransition(
            "Ein Abonnement setzt einen aktiven Vertrag voraus "
            f"(der Vertrag ist {contract.state_label})."
        )
    return contract


def _visible(
    found: Subscription | None, principal: Principal | None, subscription_id: str
) -> Subscription:
    caller = require_role(principal, *Role)
    if found is None or not (
        caller.role is Role.OPERATOR
        or caller.municipality_ags == found.municipality_ags
        or caller.provider_id == found.provider_id
    ):
        raise NotFound(f"Das Abonnement {subscription_id} gibt es nicht.")
    return found


def _require_buyer(principal: Principal | None, found: Subscription) -> None:
    caller = require_role(principal, Role.MUNICIPALITY_BUYER, Role.OPERATOR)
    if (
        caller.role is Role.MUNICIPALITY_BUYER
        and caller.municipality_ags != found.municipality_ags
    ):
        raise NotFound(f"Das Abonnement {found.id} gibt es nicht.")


def _env(environment: str) -> str:
    return "Test" if environment == "test" else "Produktions"
