"""Contract use cases: request, move, read and verify contracts, and the
providers' automation settings. Each write is one transaction.

Every transition re-reads the contract inside a ``BEGIN IMMEDIATE`` transaction
and moves it only from the state it found (``machine``), so of two concurrent
signatures exactly one succeeds; each writes one audit row, which the database
never lets change. Terminating stamps the contract's subscriptions with its last
day.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime

import msgspec

from marketplace.contracts import drafting, repository
from marketplace.contracts.machine import (
    TRANSITIONS,
    allowed_actions,
    authorise,
    check_signed_text,
    columns_for,
)
from marketplace.contracts.render import sha256_text
from marketplace.contracts.schemas import (
    ACTION_LABELS,
    STATE_LABELS,
    Action,
    Contract,
    ContractEvent,
    ContractRequest,
    ContractSettings,
    SignatureCheck,
    State,
    Verification,
)
from marketplace.db import Connection, Database
from marketplace.errors import Conflict, InvalidInput, InvalidTransition, NotFound
from marketplace.identity.schemas import Principal, Role
from marketplace.identity.service import (
    require_municipality,
    require_provider,
    require_role,
)
from marketplace.subscriptions import repository as subscription_rows

__all__ = [  # what the API routes and the web pages call
    "allowed_actions",
    "contract",
    "contracts",
    "events",
    "request_contract",
    "save_settings",
    "settings",
    "transition",
    "verify",
]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class _Actor(msgspec.Struct, frozen=True):
    user_id: int | None  # None: the provider's automation
    name: str
    role: str


def _actor(principal: Principal) -> _Actor:
    return _Actor(principal.user_id, principal.login, principal.role.value)


def _automation(provider_id: str) -> _Actor:
    return _Actor(None, f"Vertragsautomatik {provider_id}", "system")


# Reading ---------------------------------------------------------------------------


async def contract(
    db: Database, principal: Principal | None, contract_id: int
) -> Contract:
    async with db.read() as conn:
        found = await repository.get_contract(conn, contract_id)
    return _visible(found, principal, contract_id)


async def contracts(db: Database, principal: Principal | None) -> list[Contract]:
    """The caller's contracts: its municipality's, its provider's, or all (operator)."""
    caller = require_role(principal, *Role)
    async with db.read() as conn:
        return await repository.list_contracts(
            conn, ags=caller.municipality_ags, provider_id=caller.provider_id
        )


async def events(
    db: Database, principal: Principal | None, contract_id: int
) -> list[ContractEvent]:
    async with db.read() as conn:
        _visible(
            await repository.get_contract(conn, contract_id), principal, contract_id
        )
        return await repository.events(conn, contract_id)


async def verify(
    db: Database, principal: Principal | None, contract_id: int
) -> Verification:
    """Recompute the text's SHA-256 and compare it with what each party signed."""
    found = await contract(db, principal, contract_id)
    computed = sha256_text(found.text)
    checks = [
        SignatureCheck(
            party=s.party, signer=s.signer, matches=s.text_sha256 == computed
        )
        for s in found.signatures
    ]
    return Verification(
        contract_id=found.id,
        stored_sha256=found.text_sha256,
        computed_sha256=computed,
        signatures=checks,
        intact=computed == found.text_sha256 and all(c.matches for c in checks),
    )


def _visible(
    found: Contract | None, principal: Principal | None, contract_id: int
) -> Contract:
    """Others' contracts are "not found": their existence does not leak."""
    caller = require_role(principal, *Role)
    if found is None or not (
        caller.role is Role.OPERATOR
        or caller.municipality_ags == found.municipality_ags
        or caller.provider_id == found.provider_id
    ):
        raise NotFound(f"Den Vertrag {contract_id} gibt es nicht.")
    return found


# Writing ---------------------------------------------------------------------------


async def request_contract(
    db: Database, principal: Principal | None, data: ContractRequest
) -> Contract:
    """A municipality asks for a contract: rendered from the version's template."""
    caller = require_role(principal, Role.MUNICIPALITY_BUYER, Role.OPERATOR)
    ags = data.municipality_ags or caller.municipality_ags
    if not ags:
        raise InvalidInput("Bitte geben Sie die Kommune an (municipality_ags).")
    require_municipality(caller, ags)
    async with db.transaction() as conn:
        contract_id = await draft_in(
            conn, _actor(caller), data.offer_version_id, ags, data.expected_cases
        )
        return await _reload(conn, contract_id)


async def draft_in(
    conn: Connection,
    actor: _Actor,
    offer_version_id: int,
    ags: str,
    expected_cases: int | None,
) -> int:
    """A new contract for a municipality inside the caller's transaction (also
    used by the federation for requests forwarded by another node). A contract
    for another node's (replicated) offer is offered by its publication; once
    signed, the federation forwards it to that node (docs/federation.md)."""
    offer = await repository.offer_context(conn, offer_version_id)
    if offer is None or offer["withdrawn_at"] is not None:
        raise NotFound(f"Die Angebotsversion {offer_version_id} gibt es nicht.")
    if offer["superseded_by"] is not None:
        raise Conflict(
            f"Version {offer['version']} dieses Angebots ist durch Version "
            f"{offer['superseded_by']} ersetzt. Neue Verträge gibt es nur für die "
            "aktuelle Version; bestehende Verträge behalten ihre Version.",
            current_version=offer["superseded_by"],
        )
    quote = await drafting.quote_for(conn, offer, ags, expected_cases)
    values = await drafting.contract_row(conn, offer, ags, quote, _now())
    try:
        contract_id = await repository.insert_contract(conn, values)
    except sqlite3.IntegrityError as exc:
        if "UNIQUE" not in str(exc):
            raise
        raise Conflict(  # the unique index on open contracts
            "Für dieses Angebot besteht bereits ein offener Vertrag Ihrer Kommune."
        ) from exc
    await _record(conn, contract_id, actor, Action.REQUEST, None, State.DRAFT)
    auto_offer, _ = await repository.settings_for(conn, offer["provider_id"])
    if offer["home_node"] is not None:  # another node's offer: published = offered
        home = f"Veröffentlichtes Angebot von Knoten {offer['home_node']}"
        await _apply(conn, contract_id, Action.OFFER, _Actor(None, home, "federation"))
    elif auto_offer:
        await _apply(conn, contract_id, Action.OFFER, _automation(offer["provider_id"]))
    return contract_id


async def automation_in(conn: Connection, provider_id: str) -> tuple[bool, bool]:
    """(auto_offer, auto_countersign) of a provider, and its robot as actor."""
    return await repository.settings_for(conn, provider_id)


def actor_for(principal: Principal) -> _Actor:
    return _actor(principal)


def automation_actor(provider_id: str) -> _Actor:
    return _automation(provider_id)


def system_actor(name: str, role: str = "system") -> _Actor:
    """An actor without an account: an automation or another node (federation)."""
    return _Actor(None, name, role)


async def apply_in(
    conn: Connection, contract_id: int, action: Action, actor: _Actor
) -> Contract:
    """One step inside the caller's transaction, for steps another node took and
    proved with its signature (federation); the state machine still applies."""
    await _apply(conn, contract_id, action, actor)
    return await _reload(conn, contract_id)


async def transition(
    db: Database,
    principal: Principal | None,
    contract_id: int,
    action: Action,
    text_sha256: str | None = None,
) -> Contract:
    """Apply ``action`` if the caller is the right party and the state allows it."""
    caller = require_role(principal, *Role)
    async with db.transaction() as conn:
        found = _visible(
            await repository.get_contract(conn, contract_id), caller, contract_id
        )
        authorise(found, caller, action)
        if action in (Action.SIGN, Action.COUNTERSIGN):
            check_signed_text(found, text_sha256)
        await _apply(conn, contract_id, action, _actor(caller))
        if action is Action.SIGN:
            await _auto_countersign(conn, found)
        return await _reload(conn, contract_id)


async def save_settings(
    db: Database, principal: Principal | None, provider_id: str, data: ContractSettings
) -> ContractSettings:
    require_provider(principal, provider_id)
    async with db.transaction() as conn:
        await _require_provider_exists(conn, provider_id)
        await repository.save_settings(
            conn, provider_id, data.auto_offer, data.auto_countersign
        )
    return data


async def settings(db: Database, provider_id: str) -> ContractSettings:
    """Whether a provider offers and countersigns automatically (public: a
    municipality may want to know how fast it gets a contract)."""
    async with db.read() as conn:
        await _require_provider_exists(conn, provider_id)
        auto_offer, auto_countersign = await repository.settings_for(conn, provider_id)
    return ContractSettings(auto_offer=auto_offer, auto_countersign=auto_countersign)


async def _require_provider_exists(conn: Connection, provider_id: str) -> None:
    if not await repository.provider_exists(conn, provider_id):
        raise NotFound(f"Den Anbieter „{provider_id}“ gibt es nicht.")


async def _apply(
    conn: Connection, contract_id: int, action: Action, actor: _Actor
) -> None:
    sources, target, _ = TRANSITIONS[action]
    found = await repository.get_contract(conn, contract_id)
    if found is None or found.state not in sources:
        state = STATE_LABELS[found.state] if found else "unbekannt"
        raise InvalidTransition(
            f"Der Vertrag wurde inzwischen geändert (jetzt {state}); "
            f"„{ACTION_LABELS[action]}“ ist nicht mehr möglich."
        )
    now = _now()
    extra = columns_for(found, action, now)
    try:
        moved = await repository.move(
            conn, contract_id, expected=found.state, to=target, now=now, extra=extra
        )
    except sqlite3.IntegrityError as exc:
        if "cross-node" not in str(exc):  # the trigger of migration 0011
            raise
        raise InvalidTransition(
            "Dieser Vertrag wurde über einen anderen Marktplatzknoten geschlossen; "
            "er wird aktiv, sobald der Knoten der Kommune die Aktivierung bestätigt."
        ) from exc
    if not moved:
        raise InvalidTransition("Der Vertrag wurde gleichzeitig geändert.")
    if action in (Action.SIGN, Action.COUNTERSIGN):
        await repository.add_signature(
            conn,
            contract_id,
            party="municipality" if action is Action.SIGN else "provider",
            user_id=actor.user_id,
            signer=actor.name,
            now=now,
            text_sha256=found.text_sha256,
        )
    if action is Action.TERMINATE:
        await subscription_rows.schedule_end(conn, contract_id, extra["ends_at"], now)
    await _record(conn, contract_id, actor, action, found.state, target)


async def _auto_countersign(conn: Connection, found: Contract) -> None:
    _, auto_countersign = await repository.settings_for(conn, found.provider_id)
    if auto_countersign:
        robot = _automation(found.provider_id)
        await _apply(conn, found.id, Action.COUNTERSIGN, robot)
        await _apply(conn, found.id, Action.ACTIVATE, robot)


async def _record(
    conn: Connection,
    contract_id: int,
    actor: _Actor,
    action: Action,
    source: State | None,
    target: State,
) -> None:
    found = await repository.get_contract(conn, contract_id)
    text_hash = found.text_sha256 if found else ""
    await repository.add_event(
        conn,
        contract_id,
        actor.user_id,
        ContractEvent(
            at=_now(),
            actor=actor.name,
            actor_role=actor.role,
            action=action.value,
            from_state=source.value if source else None,
            to_state=target.value,
            text_sha256=text_hash,
        ),
    )


async def _reload(conn: Connection, contract_id: int) -> Contract:
    found = await repository.get_contract(conn, contract_id)
    if found is None:
        raise RuntimeError(f"contract {contract_id} vanished inside its transaction")
    return found
