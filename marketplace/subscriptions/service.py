"""Subscription rules: only under an active contract, only for the contract's
municipality, one running subscription per offer and environment, test and
production kept apart, idempotent creation (Open Service Broker style)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, date, datetime

from marketplace.contracts import repository as contracts
from marketplace.contracts.schemas import Contract, State
from marketplace.db import Connection, Database
from marketplace.errors import Conflict, InvalidTransition, NotFound
from marketplace.identity.schemas import Principal, Role
from marketplace.identity.service import require_role
from marketplace.subscriptions import repository
from marketplace.subscriptions.schemas import (
    Environment,
    Subscription,
    SubscriptionIn,
    SubscriptionSettings,
    SubscriptionState,
)

_KIND = {
    Environment.TEST: "Testabonnement",
    Environment.PRODUCTION: "Produktionsabonnement",
}


def _now() -> datetime:
    return datetime.now(UTC)


def _stamp(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


# Reading ---------------------------------------------------------------------------


async def subscription(
    db: Database, principal: Principal | None, subscription_id: str
) -> Subscription:
    async with db.read() as conn:
        found = await repository.get(conn, subscription_id, _now().date())
    return _visible(found, principal, subscription_id)


async def subscriptions(
    db: Database, principal: Principal | None
) -> list[Subscription]:
    """The caller's subscriptions: its municipality's, its provider's subscribers,
    or all (operator)."""
    caller = require_role(principal, *Role)
    async with db.read() as conn:
        return await repository.listing(
            conn,
            _now().date(),
            ags=caller.municipality_ags,
            provider_id=caller.provider_id,
        )


# Writing ---------------------------------------------------------------------------


async def put_subscription(
    db: Database,
    principal: Principal | None,
    subscription_id: str,
    data: SubscriptionIn,
) -> tuple[Subscription, bool]:
    """Create the subscription, or confirm the identical one: (subscription, created).

    The same id with other content, a second running subscription of the same
    offer and environment, or an endpoint the other environment already uses is a
    conflict; nothing is written then.
    """
    caller = require_role(principal, Role.MUNICIPALITY_BUYER, Role.OPERATOR)
    now = _now()
    async with db.transaction() as conn:
        await repository.end_due(conn, now.date(), _stamp(now))
        existing = await repository.get(conn, subscription_id, now.date())
        if existing is not None:
            _same_or_conflict(existing, data, caller)
            return existing, False
        contract = await _own_active_contract(conn, caller, data.contract_id)
        await _require_free(conn, contract, data, now.date())
        await _require_apart(
            conn, contract.municipality_ags, data.endpoint_url, data.environment, now
        )
        try:
            await repository.insert(
                conn,
                subscription_id,
                data,
                ags=contract.municipality_ags,
                provider_id=contract.provider_id,
                offer_id=contract.offer_id,
                offer_version_id=contract.offer_version_id,
                now=_stamp(now),
            )
        except sqlite3.IntegrityError as exc:
            if "UNIQUE" not in str(exc):
                raise
            raise Conflict(  # the unique index as the last line of defence
                "Das Abonnement konnte nicht angelegt werden, weil gleichzeitig ein "
                "anderes für dieses Angebot angelegt wurde."
            ) from exc
        return await _reload(conn, subscription_id, now.date()), True


async def change_settings(
    db: Database,
    principal: Principal | None,
    subscription_id: str,
    data: SubscriptionSettings,
) -> Subscription:
    """Point a running subscription at another endpoint or Fachverfahren."""
    now = _now()
    async with db.transaction() as conn:
        await repository.end_due(conn, now.date(), _stamp(now))
        found = await _own(conn, principal, subscription_id, now.date())
        if found.state is SubscriptionState.ENDED:
            raise InvalidTransition(
                f"Das Abonnement {found.id} ist beendet; seine Einstellungen "
                "lassen sich nicht mehr ändern.",
                state=found.state.value,
            )
        await _require_apart(
            conn, found.municipality_ags, data.endpoint_url, found.environment, now
        )
        await repository.update_settings(
            conn, subscription_id, data.endpoint_url, data.fachverfahren, _stamp(now)
        )
        return await _reload(conn, subscription_id, now.date())


async def end_subscription(
    db: Database, principal: Principal | None, subscription_id: str
) -> Subscription:
    """End a subscription now (ending an ended one again changes nothing)."""
    now = _now()
    async with db.transaction() as conn:
        await repository.end_due(conn, now.date(), _stamp(now))
        await _own(conn, principal, subscription_id, now.date())
        await repository.end(conn, subscription_id, _stamp(now))
        return await _reload(conn, subscription_id, now.date())


async def end_due(db: Database, today: date | None = None) -> int:
    """Write down the end of every subscription whose contract has run out; returns
    how many ended. Reads already report them as ended, so this only tidies up."""
    now = _now()
    async with db.transaction() as conn:
        return await repository.end_due(conn, today or now.date(), _stamp(now))


# Rules -----------------------------------------------------------------------------


def _same_or_conflict(
    existing: Subscription, data: SubscriptionIn, caller: Principal
) -> None:
    if (
        caller.role is not Role.OPERATOR
        and caller.municipality_ags != existing.municipality_ags
    ):
        raise Conflict(
            f"Die Kennung {existing.id} ist bereits vergeben; "
            "bitte wählen Sie eine andere."
        )
    if existing.state is SubscriptionState.ENDED:
        raise Conflict(
            f"Das Abonnement {existing.id} ist beendet; bitte legen Sie ein neues "
            "mit einer neuen Kennung an."
        )
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
            f"(der Vertrag ist {contract.state_label}).",
            state=contract.state.value,
        )
    return contract


async def _require_free(
    conn: Connection, contract: Contract, data: SubscriptionIn, today: date
) -> None:
    other = await repository.active_for_offer(
        conn, contract.municipality_ags, contract.offer_id, data.environment, today
    )
    if other is not None:
        raise Conflict(
            f"Ihre Kommune hat für dieses Angebot bereits ein "
            f"{_KIND[data.environment]} ({other.id}). "
            "Ändern Sie dessen Einstellungen oder beenden Sie es zuerst.",
            existing_id=other.id,
        )


async def _require_apart(
    conn: Connection,
    ags: str,
    endpoint_url: str,
    environment: Environment,
    now: datetime,
) -> None:
    """Test submissions must never reach a production system, and vice versa."""
    other = await repository.endpoint_in_other_environment(
        conn, ags, endpoint_url, environment, now.date()
    )
    if other is not None:
        raise Conflict(
            f"Die Empfangsadresse {endpoint_url} gehört schon zum "
            f"{_KIND[other.environment]} {other.id}. Test und "
            "Produktion brauchen getrennte Empfänger, damit keine Testanträge im "
            "Produktivsystem landen.",
            existing_id=other.id,
        )


async def _own(
    conn: Connection, principal: Principal | None, subscription_id: str, today: date
) -> Subscription:
    """The subscription, if the caller may change it: its municipality's buyers
    and the operator. A provider sees its subscribers but does not steer them."""
    found = _visible(
        await repository.get(conn, subscription_id, today), principal, subscription_id
    )
    require_role(principal, Role.MUNICIPALITY_BUYER, Role.OPERATOR)
    return found


def _visible(
    found: Subscription | None, principal: Principal | None, subscription_id: str
) -> Subscription:
    """Others' subscriptions are "not found": their existence does not leak."""
    caller = require_role(principal, *Role)
    if found is None or not (
        caller.role is Role.OPERATOR
        or caller.municipality_ags == found.municipality_ags
        or caller.provider_id == found.provider_id
    ):
        raise NotFound(f"Das Abonnement {subscription_id} gibt es nicht.")
    return found


async def _reload(conn: Connection, subscription_id: str, today: date) -> Subscription:
    found = await repository.get(conn, subscription_id, today)
    if found is None:
        raise RuntimeError(
            f"subscription {subscription_id} vanished in its transaction"
        )
    return found
