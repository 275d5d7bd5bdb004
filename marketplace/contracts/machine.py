"""The contract state machine as pure rules: which action leads from which states
to which, who may take it, what a refusal says, and the dates it sets.

draft -> offered -> signed -> countersigned -> active -> terminated, and
draft/offered/signed -> cancelled (an offer withdrawn or declined, a signature the
provider will not countersign). Terminating gives notice: the contract runs until
the end of the month in which the notice period ends. Migration 0004 repeats the
allowed state pairs in a trigger; a test keeps the two equal.
"""

from __future__ import annotations

import calendar
from datetime import date

from marketplace.contracts.schemas import (
    ACTION_LABELS,
    STATE_LABELS,
    Action,
    Contract,
    State,
)
from marketplace.errors import Conflict, InvalidTransition, PermissionDenied
from marketplace.identity.schemas import Principal, Role

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
        for action, (sources, _, _) in TRANSITIONS.items()
        if found.state in sources and may_take(found, principal, action)
    ]


def may_take(found: Contract, caller: Principal, action: Action) -> bool:
    """The action's party may take it; the operator may take all but signatures."""
    _, _, party = TRANSITIONS[action]
    if caller.role is Role.OPERATOR:
        return action not in (Action.SIGN, Action.COUNTERSIGN)
    return is_party(found, caller, party)


def is_party(found: Contract, principal: Principal, party: str) -> bool:
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


def authorise(found: Contract, caller: Principal, action: Action) -> None:
    """The right party for the action (the operator may do all but sign), and a
    state the action starts from."""
    sources, _, party = TRANSITIONS[action]
    if not may_take(found, caller, action):
        raise PermissionDenied(
            f"Nur {_PARTY[party]} darf „{ACTION_LABELS[action]}“ ausführen."
        )
    if found.state not in sources:
        raise InvalidTransition(
            f"Der Vertrag ist {_PREDICATE[found.state]}; „{ACTION_LABELS[action]}“ "
            f"ist nur möglich, wenn er {_either(sources)} ist.",
            state=found.state.value,
            allowed_states=[source.value for source in sources],
        )


_PARTY = {
    "provider": "der Anbieter dieses Vertrags",
    "municipality": "die Kommune dieses Vertrags",
    "either": "eine Vertragspartei",
}

# "Der Vertrag ist ...": the state as the predicate of a German sentence.
_PREDICATE = {
    **STATE_LABELS,
    State.DRAFT: "ein Entwurf",
    State.CANCELLED: "abgebrochen",
}


def _either(states: tuple[State, ...]) -> str:
    words = [_PREDICATE[state] for state in states]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} oder {words[-1]}"


def check_signed_text(found: Contract, text_sha256: str | None) -> None:
    if text_sha256 != found.text_sha256:
        raise Conflict(
            "Der unterzeichnete Text stimmt nicht mit dem Vertragstext überein "
            "(SHA-256 weicht ab). Bitte laden Sie den Vertrag neu.",
            expected_sha256=found.text_sha256,
        )


def columns_for(found: Contract, action: Action, now: str) -> dict[str, str]:
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
