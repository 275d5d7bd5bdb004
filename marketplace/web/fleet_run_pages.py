"""Fleet pages for runs and rollouts: start a provisioning run or a drift report for
a station or a rollout group, follow its progress live, read the stored result per
station; start a staged rollout of a version and extend it to the rest.

Only the operator may use them (``marketplace.fleet.runs`` checks it). A running
run's page follows ``GET /api/v1/fleet/runs/{id}/events?after=N`` with
``static/fleet.js``; without JavaScript it reloads itself every few seconds.
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar import get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from marketplace.dependencies import DB, Caller
from marketplace.errors import InvalidInput
from marketplace.fleet import runs, service
from marketplace.fleet.routes import FleetExecutor
from marketplace.fleet.schemas import (
    Appliance,
    ApplianceState,
    RolloutIn,
    RunIn,
    RunState,
)
from marketplace.identity.schemas import Role
from marketplace.identity.service import require_role
from marketplace.web import fleet_labels
from marketplace.web.fleet_pages import convert_form
from marketplace.web.pages import page, see_other

REFRESH_SECONDS = 3  # the page's own reload while something runs, without script


class RunForm(msgspec.Struct, kw_only=True):
    """``ziel`` is ``station:<name>`` or ``gruppe:<group>``; ``pruefen`` asks for
    a drift report (check mode) instead of a provisioning run."""

    ziel: str = ""
    pruefen: str = ""
    variablen: str = ""


class RolloutForm(msgspec.Struct, kw_only=True):
    version: str = ""
    gruppe: str = ""
    variablen: str = ""


Form = Body(media_type=RequestEncodingType.URL_ENCODED)


@get("/flotte/laeufe", name="fleet-runs")
async def runs_page(db: DB, principal: Caller, executor: FleetExecutor) -> Template:
    recent = await runs.runs(db, executor, principal)
    stations = await service.appliances(db, principal)
    return page(
        "fleet/runs.html",
        principal,
        runs=recent,
        stations=[s for s in stations if s.state is not ApplianceState.REVOKED],
        groups=_groups(stations),
        **fleet_labels.CONTEXT,
    )


@post("/flotte/laeufe", status_code=303)
async def start_run(
    db: DB,
    principal: Caller,
    executor: FleetExecutor,
    data: Annotated[RunForm, Form],
) -> Redirect:
    require_role(principal, Role.OPERATOR)
    kind, _, name = data.ziel.partition(":")
    if kind not in ("station", "gruppe") or not name:
        raise InvalidInput("Bitte eine Station oder eine Gruppe wählen.")
    target = {"appliances": [name]} if kind == "station" else {"group": name}
    request = convert_form(
        {
            **target,
            "check_mode": bool(data.pruefen),
            "extra_vars": extra_vars(data.variablen),
        },
        RunIn,
    )
    started = await runs.start_run(db, executor, principal, request)
    return see_other(f"/flotte/laeufe/{started.id}")


@get("/flotte/laeufe/{run_id:int}", name="fleet-run")
async def run_page(
    db: DB, principal: Caller, executor: FleetExecutor, run_id: FromPath[int]
) -> Template:
    found = await runs.run(db, executor, principal, run_id)
    events = await runs.events(db, principal, run_id, 0)
    return page(
        "fleet/run.html",
        principal,
        run=found,
        events=events,
        last_seq=events[-1].seq if events else 0,
        running=found.state is RunState.RUNNING,
        refresh_seconds=REFRESH_SECONDS,
        **fleet_labels.CONTEXT,
    )


@get("/flotte/rollouts", name="fleet-rollouts")
async def rollouts_page(db: DB, principal: Caller) -> Template:
    found = await runs.rollouts(db, principal)
    return page(
        "fleet/rollouts.html",
        principal,
        rollouts=found,
        groups=_groups(await service.appliances(db, principal)),
        **fleet_labels.CONTEXT,
    )


@post("/flotte/rollouts", status_code=303)
async def start_rollout(
    db: DB,
    principal: Caller,
    executor: FleetExecutor,
    data: Annotated[RolloutForm, Form],
) -> Redirect:
    require_role(principal, Role.OPERATOR)
    request = convert_form(
        {
            "version": data.version.strip(),
            "first_group": data.gruppe,
            "extra_vars": extra_vars(data.variablen),
        },
        RolloutIn,
    )
    started = await runs.start_rollout(db, executor, principal, request)
    return see_other(f"/flotte/rollouts/{started.id}")


@get("/flotte/rollouts/{rollout_id:int}", name="fleet-rollout")
async def rollout_page(
    db: DB, principal: Caller, executor: FleetExecutor, rollout_id: FromPath[int]
) -> Template:
    found = await runs.rollout(db, principal, rollout_id)
    stages = [await runs.run(db, executor, principal, i) for i in found.runs]
    return page(
        "fleet/rollout.html",
        principal,
        rollout=found,
        stages=stages,
        running=any(s.state is RunState.RUNNING for s in stages),
        refresh_seconds=REFRESH_SECONDS,
        **fleet_labels.CONTEXT,
    )


@post("/flotte/rollouts/{rollout_id:int}/fortsetzen", status_code=303)
async def continue_rollout(
    db: DB, principal: Caller, executor: FleetExecutor, rollout_id: FromPath[int]
) -> Redirect:
    await runs.continue_rollout(db, executor, principal, rollout_id)
    return see_other(f"/flotte/rollouts/{rollout_id}")


def extra_vars(text: str) -> dict[str, str]:
    """``name=value`` per line (empty lines ignored) into the run's extra vars;
    their names are checked by the API type, ``ansible_*`` by the run service."""
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        name, sep, value = line.partition("=")
        if not sep or not name.strip():
            raise InvalidInput(
                f"Zusatzvariablen, Zeile {number}: erwartet wird name=wert."
            )
        found[name.strip()] = value.strip()
    return found


def _groups(stations: list[Appliance]) -> list[tuple[str, int]]:
    """Rollout groups with their number of stations that are not revoked."""
    counts: dict[str, int] = {}
    for station in stations:
        if station.state is not ApplianceState.REVOKED:
            counts[station.rollout_group] = counts.get(station.rollout_group, 0) + 1
    return sorted(counts.items())
