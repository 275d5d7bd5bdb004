"""Contract rules: the state machine, who may move it, signatures and the audit log.

draft -> offered -> signed -> countersigned -> active -> terminated, and
draft/offered/signed -> cancelled (an offer withdrawn or declined, a signature the
provider will not countersign). Every transition runs in one write transaction that
re-checks the state it starts from, so of two concurrent signatures exactly one
succeeds; each writes one audit row, which the database never lets change.
Terminating gives notice: the contract, and the subscriptions under it, run until
the end of the month in which the notice period ends.
"""

from __future__ import annotations

import calendar
import sqlite3
from datetime import UTC, date, datetime

import msgspec

from marketplace.catalog.schemas import LEGAL_ROUTE_LABELS, LegalRoute
from marketplace.catalog.service import LAND_NAMES
from marketplace.contracts import repository
from marketplace.contracts.render import render, sha256_text
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
from marketplace.costs.schemas import CostModel, Quote
from marketplace.costs.service import Quoter
from marketplace.db import Connection, Database, Row
from marketplace.errors import (
    Conflict,
    InvalidInput,
    InvalidTransition,
    NotFound,
    PermissionDenied,
)
from marketplace.identity.schemas import Principal, Role
from marketplace.identity.service import (
    require_municipality,
    require_provider,
    require_role,
)
from marketplace.subscriptions import repository as subscription_rows

# action -> (from states, to state, acting party)
TRANSITIONS: dict[Action, tuple[tuple[State, ...], State, str]] = {
    Action.OFFER: ((State.DRAFT,), State.OFFERED, "provider"),
    Action.SIGN: ((State.OFFERED,), State.SIGNED, "municipality"),
    Action.COUNTERSIGN: ((State.SIGNED,), State.COUNTERSIGNED, "provider"),
    Action.ACTIVATE: ((State.COUNTERSIGNED,), State.ACTIVE, "provider"),
    Action.TERMINATE: ((State.ACTIVE,), State.TERMINATED, "either"),
    Action.CANCEL: (
        (State.DRAFT, State.OFFERED, State.SIGNED),
        State.CANCELLED,
        "either",
    ),
}


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class _Actor(msgspec.Struct, frozen=True):
    user_id: int
    name: str
    role: str


def _actor(principal: Principal) -> _Actor:
    return _Actor(principal.user_id, principal.login, principal.role.value)


def _automation(provider_id: str) -> _Actor:
    return _Actor(0, f"Vertragsautomatik {provider_id}", "system")


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


def in_force(found: Contract, today: date) -> bool:
    """Whether the contract binds both parties today (and so costs money): signed
    by both, and if terminated, its last day not yet past."""
    if found.state in (State.COUNTERSIGNED, State.ACTIVE):
        return True
    return found.state is State.TERMINATED and (
        found.ends_at is not None and today <= date.fromisoformat(found.ends_at)
    )


def allowed_actions(found: Contract, principal: Principal | None) -> list[Action]:
    """What the caller may do next with this contract (for the web pages)."""
    if principal is None:
        return []
    return [
        action
        for action, (sources, _, party) in TRANSITIONS.items()
        if found.state in sources and _is_party(found, principal, party)
    ]


def _is_party(found: Contract, principal: Principal, party: str) -> bool:
    is_provider = principal.role is Role.PROVIDER_ADMIN and (
        principal.provider_id == found.provider_id
    )
    is_municipality = principal.role is Role.MUNICIPALITY_BUYER and (
        principal.municipality_ags == found.municipality_ags
    )
    return {
        "provider": is_provider,
        "municipality": is_municipality,
        "either": is_provider or is_municipality,
    }[party]


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
        offer = await repository.offer_context(conn, data.offer_version_id)
        if offer is None or offer["withdrawn_at"] is not None:
            raise NotFound(
                f"Die Angebotsversion {data.offer_version_id} gibt es nicht."
            )
        if offer["superseded_by"] is not None:
            raise Conflict(
                f"Version {offer['version']} dieses Angebots ist durch Version "
                f"{offer['superseded_by']} ersetzt. Neue Verträge gibt es nur für die "
                "aktuelle Version; bestehende Verträge behalten ihre Version.",
                current_version=offer["superseded_by"],
            )
        quote = await _quote(conn, offer, ags, data.expected_cases)
        values = await _contract_row(conn, offer, ags, quote)
        try:
            contract_id = await repository.insert_contract(conn, values)
        except sqlite3.IntegrityError as exc:  # the unique index on open contracts
            raise Conflict(
                "Für dieses Angebot besteht bereits ein offener Vertrag Ihrer Kommune."
            ) from exc
        await _record(
            conn, contract_id, _actor(caller), Action.REQUEST, None, State.DRAFT
        )
        auto_offer, _ = await repository.settings_for(conn, offer["provider_id"])
        if auto_offer:
            await _apply(
                conn, contract_id, Action.OFFER, _automation(offer["provider_id"])
            )
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
        _authorise(found, caller, action)
        if action in (Action.SIGN, Action.COUNTERSIGN):
            _check_signed_text(found, text_sha256)
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


def _authorise(found: Contract, caller: Principal, action: Action) -> None:
    """The right party for the action (the operator may do all but sign), and a
    state the action starts from."""
    sources, _, party = TRANSITIONS[action]
    signing = action in (Action.SIGN, Action.COUNTERSIGN)
    operator_may = caller.role is Role.OPERATOR and not signing
    if not operator_may and not _is_party(found, caller, party):
        who = {"provider": "der Anbieter", "municipality": "die Kommune"}.get(
            party, "eine Vertragspartei"
        )
        raise PermissionDenied(
            f"„{ACTION_LABELS[action]}“ kann nur {who} dieses Vertrags."
        )
    if found.state not in sources:
        raise InvalidTransition(
            f"Der Vertrag ist {_PREDICATE[found.state]}; „{ACTION_LABELS[action]}“ "
            f"ist nur möglich, wenn er {_either(sources)} ist.",
            state=found.state.value,
            allowed_states=[source.value for source in sources],
        )


# "Der Vertrag ist ...": the state as the predicate of a German sentence.
_PREDICATE = {
    **STATE_LABELS,
    State.DRAFT: "ein Entwurf",
    State.CANCELLED: "abgebrochen",
}


def _either(states: tuple[State, ...]) -> str:
    words = [_PREDICATE[state] for state in states]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} oder {words[-1]}"


def _check_signed_text(found: Contract, text_sha256: str | None) -> None:
    if text_sha256 != found.text_sha256:
        raise Conflict(
            "Der unterzeichnete Text stimmt nicht mit dem Vertragstext überein "
            "(SHA-256 weicht ab). Bitte laden Sie den Vertrag neu.",
            expected_sha256=found.text_sha256,
        )


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
    extra = _extra_columns(found, action, now)
    if not await repository.move(
        conn, contract_id, expected=found.state, to=target, now=now, extra=extra
    ):
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


def _extra_columns(found: Contract, action: Action, now: str) -> dict[str, str]:
    if action is Action.ACTIVATE:
        return {"active_since": now}
    if action is Action.TERMINATE:
        return {
            "ends_at": end_of_notice(
                date.fromisoformat(now[:10]), found.notice_period_months
            ).isoformat()
        }
    return {}


def end_of_notice(today: date, months: int) -> date:
    """The last day of the month ``months`` after ``today`` ("zum Monatsende")."""
    month_index = today.month - 1 + months
    year, month = today.year + month_index // 12, month_index % 12 + 1
    return date(year, month, calendar.monthrange(year, month)[1])


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


async def _quote(conn: Connection, offer: Row, ags: str, cases: int | None) -> Quote:
    model = msgspec.json.decode(offer["cost_model"], type=CostModel)
    quoter = await Quoter.for_municipality(conn, ags)
    return quoter.quote(model, expected_cases=cases)


async def _contract_row(
    conn: Connection, offer: Row, ags: str, quote: Quote
) -> dict[str, object]:
    async with conn.execute(
        "SELECT name, land_code FROM municipalities WHERE ags = ?", (ags,)
    ) as cur:
        municipality = await cur.fetchone()
    if municipality is None:
        raise NotFound(f"Die Kommune mit dem Gemeindeschlüssel {ags} ist unbekannt.")
    text = render(
        offer["contract_template"],
        {
            "anbieter": offer["provider_name"],
            "kommune": municipality["name"],
            "ags": ags,
            "land": LAND_NAMES[municipality["land_code"]],
            "leistung": offer["service_title"],
            "leika": offer["leika_key"],
            "angebot": offer["title"],
            "version": str(offer["version"]),
            "veroeffentlicht": offer["published_at"][:10],
            "entgelt": price_text(quote),
            "kuendigungsfrist": str(offer["notice_period_months"]),
            "beschaffungsweg": LEGAL_ROUTE_LABELS[LegalRoute(offer["legal_route"])],
        },
    )
    now = _now()
    return {
        "offer_version_id": offer["id"],
        "provider_id": offer["provider_id"],
        "municipality_ags": ags,
        "state": State.DRAFT.value,
        "text": text,
        "text_sha256": sha256_text(text),
        "annual_cents": quote.annual_cents,
        "first_year_cents": quote.first_year_cents,
        "quote": msgspec.json.encode(quote).decode(),
        "notice_period_months": offer["notice_period_months"],
        "created_at": now,
        "updated_at": now,
    }


def price_text(quote: Quote) -> str:
    """The itemised price as contract prose, exact to the cent."""
    lines = [
        f"– {item.label}: {_euro(item.annual_cents)} jährlich"
        + (f", einmalig {_euro(item.one_off_cents)}" if item.one_off_cents else "")
        + (
            f" (trägt das Land: {_euro(item.paid_by_land_cents)})"
            if item.paid_by_land_cents
            else ""
        )
        + f" – {item.explanation}"
        for item in quote.items
    ]
    lines.append(
        f"Jährliches Entgelt: {_euro(quote.annual_cents)}; im ersten Jahr einschließlich "
        f"einmaliger Kosten: {_euro(quote.first_year_cents)}."
    )
    return "\n".join(lines)


def _euro(cents: int) -> str:
    whole, rest = divmod(cents, 100)
    return f"{whole:,}".replace(",", ".") + f",{rest:02d} €"
