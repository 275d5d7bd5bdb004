"""HTTP routes of the fleet: stations, enrolment, heartbeats, runs, rollouts."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import msgspec
from litestar import Request, Response, Router, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, QueryParameter

from marketplace.dependencies import DB, Caller
from marketplace.fleet import runs, service
from marketplace.fleet.auth import DeviceCaller, provide_device
from marketplace.fleet.runs import Executor, FleetConfig
from marketplace.fleet.schemas import (
    Appliance,
    ApplianceIn,
    EnrolmentGranted,
    EnrolmentIn,
    HeartbeatAck,
    HeartbeatIn,
    IssuedEnrolmentToken,
    Rollout,
    RolloutIn,
    Run,
    RunEvent,
    RunIn,
    TokenIn,
)
from marketplace.params import Id
from marketplace.settings import Settings

FleetExecutor = NamedDependency[Executor]
After = Annotated[int, QueryParameter(ge=0, le=2**53)]


def provide_executor(state: State) -> Executor:
    """One executor per app; its settings may be put in ``state.fleet_config``."""
    if "fleet_executor" not in state:
        config = state.get("fleet_config") or _configured(state.settings)
        state.fleet_executor = Executor(config)
    executor: Executor = state.fleet_executor
    return executor


def _configured(settings: Settings) -> FleetConfig:
    """The runs folder beside the database; project and playbook from settings."""
    config = FleetConfig(runs_dir=settings.db_path.parent / "fleet-runs")
    if settings.fleet_project_dir:
        config = msgspec.structs.replace(
            config, project_dir=Path(settings.fleet_project_dir)
        )
    if settings.fleet_playbook:
        config = msgspec.structs.replace(config, playbook=settings.fleet_playbook)
    return config


@post("/fleet/appliances", summary="Station anlegen (vor Provisionierung)")
async def register(db: DB, principal: Caller, data: JSONBody[ApplianceIn]) -> Appliance:
    return await service.register(db, principal, data)


@get("/fleet/appliances", summary="Stationen mit Zustand und Gesundheit")
async def list_appliances(db: DB, principal: Caller) -> list[Appliance]:
    return await service.appliances(db, principal)


@get("/fleet/appliances/{appliance_id:int}", summary="Eine Station")
async def get_appliance(db: DB, principal: Caller, appliance_id: Id) -> Appliance:
    return await service.appliance(db, principal, appliance_id)


@post(
    "/fleet/appliances/{appliance_id:int}/enrolment-tokens",
    summary="Einmal-Anmeldetoken erzeugen (wird nur jetzt angezeigt)",
)
async def issue_token(
    db: DB, principal: Caller, appliance_id: Id, data: JSONBody[TokenIn]
) -> IssuedEnrolmentToken:
    return await service.issue_token(db, principal, appliance_id, data)


@post(
    "/fleet/appliances/{appliance_id:int}/revoke",
    summary="Station sperren (sofort wirksam)",
    status_code=200,
)
async def revoke(db: DB, principal: Caller, appliance_id: Id) -> Appliance:
    return await service.revoke(db, principal, appliance_id)


@post("/fleet/enrolments", summary="Station meldet sich mit Token und Schlüssel an")
async def enrol(db: DB, data: JSONBody[EnrolmentIn]) -> EnrolmentGranted:
    return await service.enrol(db, data)


@post(
    "/fleet/heartbeats",
    summary="Lebenszeichen einer Station (signiert)",
    status_code=200,
    dependencies={"device": Provide(provide_device)},
)
async def heartbeat(
    db: DB,
    device: DeviceCaller,
    data: JSONBody[HeartbeatIn],
    request: Request[object, object, State],
) -> HeartbeatAck:
    peer = request.client.host if request.client else None
    return await service.heartbeat(db, device, data, peer)


@post("/fleet/runs", summary="Provisionierung oder Drift-Bericht starten")
async def start_run(
    db: DB, principal: Caller, executor: FleetExecutor, data: JSONBody[RunIn]
) -> Response[Run]:
    started = await runs.start_run(db, executor, principal, data)
    return Response(started, status_code=202)


@get("/fleet/runs", summary="Letzte Läufe")
async def list_runs(db: DB, principal: Caller, executor: FleetExecutor) -> list[Run]:
    return await runs.runs(db, executor, principal)


@get("/fleet/runs/{run_id:int}", summary="Ein Lauf mit Ergebnis je Station")
async def get_run(
    db: DB, principal: Caller, executor: FleetExecutor, run_id: Id
) -> Run:
    return await runs.run(db, executor, principal, run_id)


@get("/fleet/runs/{run_id:int}/events", summary="Fortschritt eines Laufs (live)")
async def run_events(
    db: DB, principal: Caller, run_id: Id, after: After = 0
) -> list[RunEvent]:
    return await runs.events(db, principal, run_id, after)


@post("/fleet/rollouts", summary="Version zuerst an eine Gruppe verteilen")
async def start_rollout(
    db: DB, principal: Caller, executor: FleetExecutor, data: JSONBody[RolloutIn]
) -> Response[Rollout]:
    started = await runs.start_rollout(db, executor, principal, data)
    return Response(started, status_code=202)


@get("/fleet/rollouts/{rollout_id:int}", summary="Ein Rollout")
async def get_rollout(db: DB, principal: Caller, rollout_id: Id) -> Rollout:
    return await runs.rollout(db, principal, rollout_id)


@post(
    "/fleet/rollouts/{rollout_id:int}/continue",
    summary="Rollout auf die übrigen Stationen ausdehnen",
)
async def continue_rollout(
    db: DB, principal: Caller, executor: FleetExecutor, rollout_id: Id
) -> Response[Rollout]:
    continued = await runs.continue_rollout(db, executor, principal, rollout_id)
    return Response(continued, status_code=202)


router = Router(
    path="/api/v1",
    route_handlers=[
        register,
        list_appliances,
        get_appliance,
        issue_token,
        revoke,
        enrol,
        heartbeat,
        start_run,
        list_runs,
        get_run,
        run_events,
        start_rollout,
        get_rollout,
        continue_rollout,
    ],
    dependencies={"executor": Provide(provide_executor, sync_to_thread=False)},
    tags=["fleet"],
)
