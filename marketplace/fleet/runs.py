"""Provisioning runs, drift reports and staged rollouts, started by an operator.

A run executes the provisioning playbook with ``provisioning.driver`` in a worker
thread; its progress events are written to the database as they come, so the web
page (and any API client) follows them live with ``GET .../events?after=N``; the
result per host is stored when the run ends. A drift report is a run in check mode
whose stored result lists the tasks that would change. A rollout first runs the new
version on one group; the rest follows only after that stage succeeded.

The executing process holds the run's lock (``Database.exclusive``) until the run
is recorded as finished, so every worker sharing the database sees that it is
going on. A run still marked running that no process holds (the marketplace was
restarted or its worker killed during it) is reported as interrupted rather than
running forever, once it is older than ``START_GRACE`` (the moment between its
row's commit and its lock).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import msgspec

from marketplace.db import Connection, Database
from marketplace.errors import InvalidInput, InvalidTransition, NotFound
from marketplace.fleet import repository
from marketplace.fleet.schemas import (
    Appliance,
    Rollout,
    RolloutIn,
    RolloutState,
    Run,
    RunEvent,
    RunIn,
    RunKind,
    RunState,
)
from marketplace.fleet.schemas import (
    Connection as Link,
)
from marketplace.identity.schemas import Principal, Role
from marketplace.identity.service import require_role
from provisioning.driver import DEFAULT_PLAYBOOK, PROJECT_DIR, Progress, RunRequest
from provisioning.driver import run_playbook as _run_playbook

log = logging.getLogger(__name__)

RUNNING = 0x666C_7400  # Database.exclusive space of runs going on, by run id
START_GRACE = timedelta(seconds=10)

_PLUGINS = {
    Link.SSH: "ansible.builtin.ssh",
    Link.CHROOT: "community.general.chroot",
    Link.LOCAL: "ansible.builtin.local",
}


class FleetConfig(msgspec.Struct, kw_only=True, frozen=True):
    """Where the playbook lives, where runs keep their artifacts, and extra vars
    every run gets (the wheelhouse, the marketplace address stations use)."""

    runs_dir: Path
    project_dir: Path = PROJECT_DIR
    playbook: str = DEFAULT_PLAYBOOK
    extra_vars: dict[str, str] = {}


class Executor:
    """Runs in this process; one per app (kept in ``app.state``)."""

    def __init__(self, config: FleetConfig) -> None:
        self.config = config
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.cancel = threading.Event()

    def running(self, run_id: int) -> bool:
        task = self.tasks.get(run_id)
        return task is not None and not task.done()

    async def wait(self, run_id: int) -> None:
        task = self.tasks.get(run_id)
        if task is not None:
            await asyncio.shield(task)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# Starting --------------------------------------------------------------------------


async def start_run(
    db: Database, executor: Executor, principal: Principal | None, data: RunIn
) -> Run:
    caller = require_role(principal, Role.OPERATOR)
    async with db.transaction() as conn:
        targets = await _targets(conn, data)
        run_id = await repository.insert_run(
            conn,
            kind=(RunKind.DRIFT if data.check_mode else RunKind.PROVISION).value,
            check_mode=data.check_mode,
            hosts=[a.name for a in targets],
            extra_vars=data.extra_vars,
            user_id=caller.user_id,
            now=_now(),
        )
    _launch(db, executor, run_id, targets, data.extra_vars, data.check_mode)
    return await run(db, executor, principal, run_id)


async def start_rollout(
    db: Database, executor: Executor, principal: Principal | None, data: RolloutIn
) -> Rollout:
    caller = require_role(principal, Role.OPERATOR)
    _check_vars(data.extra_vars)
    async with db.transaction() as conn:
        first = await repository.appliances_in_group(conn, data.first_group)
        if not first:
            raise InvalidInput(f"Die Gruppe „{data.first_group}“ hat keine Station.")
        rollout_id = await repository.insert_rollout(
            conn,
            version=data.version,
            first_group=data.first_group,
            user_id=caller.user_id,
            now=_now(),
        )
        launch = await _start_stage(conn, rollout_id, 1, first, data, caller)
    _launch(db, executor, *launch)
    return await rollout(db, principal, rollout_id)


async def continue_rollout(
    db: Database, executor: Executor, principal: Principal | None, rollout_id: int
) -> Rollout:
    """Second stage: the version goes to every other station."""
    caller = require_role(principal, Role.OPERATOR)
    async with db.transaction() as conn:
        found = await repository.rollout(conn, rollout_id)
        if found is None:
            raise NotFound(f"Den Rollout {rollout_id} gibt es nicht.")
        if found.state is not RolloutState.READY:
            raise InvalidTransition(
                "Der Rest der Flotte folgt erst, wenn die erste Gruppe erfolgreich "
                f"aktualisiert wurde (Zustand: {found.state.value}).",
                state=found.state.value,
            )
        rest = await repository.appliances_in_group(
            conn, found.first_group, inside=False
        )
        first_run = (await repository.rollout_runs(conn, rollout_id))[0]
        extra = msgspec.json.decode(
            await _extra_vars_of(conn, first_run.id), type=dict[str, str]
        )
        data = RolloutIn(
            version=found.version, first_group=found.first_group, extra_vars=extra
        )
        launch = await _start_stage(conn, rollout_id, 2, rest, data, caller)
    _launch(db, executor, *launch)
    return await rollout(db, principal, rollout_id)


async def _start_stage(
    conn: Connection,
    rollout_id: int,
    stage: int,
    targets: list[Appliance],
    data: RolloutIn,
    caller: Principal,
) -> tuple[int, list[Appliance], dict[str, str], bool]:
    """Record the stage's run; the caller launches it once the transaction is
    committed, so the worker never sees a run that is not there."""
    extra = {**data.extra_vars, "scanstation_version": data.version}
    names = [a.name for a in targets]
    if names:
        await repository.set_target_version(conn, names, data.version)
    run_id = await repository.insert_run(
        conn,
        kind=RunKind.ROLLOUT.value,
        check_mode=False,
        hosts=names,
        extra_vars=extra,
        user_id=caller.user_id,
        now=_now(),
        rollout=(rollout_id, stage),
    )
    state = RolloutState.FIRST_STAGE if stage == 1 else RolloutState.SECOND_STAGE
    await repository.set_rollout_state(conn, rollout_id, state.value, _now())
    return run_id, targets, extra, False


async def _extra_vars_of(conn: Connection, run_id: int) -> bytes:
    async with conn.execute(
        "SELECT extra_vars FROM fleet_runs WHERE id = ?", (run_id,)
    ) as cur:
        row = await cur.fetchone()
    assert row is not None
    return str(row[0]).encode()


async def _targets(conn: Connection, data: RunIn) -> list[Appliance]:
    _check_vars(data.extra_vars)
    if bool(data.appliances) == (data.group is not None):
        raise InvalidInput("Bitte entweder Stationen oder eine Gruppe angeben.")
    if data.group is not None:
        found = await repository.appliances_in_group(conn, data.group)
    else:
        found = await repository.appliances_named(conn, list(data.appliances))
        missing = set(data.appliances) - {a.name for a in found}
        if missing:
            raise InvalidInput(f"Unbekannte Stationen: {', '.join(sorted(missing))}.")
    if not found:
        raise InvalidInput("Die Auswahl enthält keine Station.")
    return found


def _check_vars(extra_vars: dict[str, str]) -> None:
    forbidden = sorted(k for k in extra_vars if k.startswith("ansible_"))
    if forbidden:
        raise InvalidInput(
            "Verbindungseinstellungen (ansible_*) kommen aus der Stationsliste, "
            f"nicht aus Zusatzvariablen: {', '.join(forbidden)}."
        )


# Executing -------------------------------------------------------------------------


def inventory(targets: list[Appliance]) -> dict[str, Any]:
    """A YAML-style inventory: scanstations, hardware kind, ags_<AGS>, rollout group,
    and ``rootfs`` for root file systems (group_vars in ``provisioning/``)."""
    groups: dict[str, dict[str, Any]] = {}
    hosts: dict[str, dict[str, str]] = {}
    for target in targets:
        hosts[target.name] = {
            "ansible_host": target.address,
            "ansible_connection": _PLUGINS[target.connection],
        }
        if target.connection is Link.LOCAL:  # this host: the controller's Python
            hosts[target.name]["ansible_python_interpreter"] = (
                "{{ ansible_playbook_python }}"
            )
        names = [
            target.hardware_kind.value,
            f"ags_{target.municipality_ags}",
            f"rollout_{target.rollout_group}",
        ]
        if target.connection is Link.CHROOT:
            names.append("rootfs")
        for group in names:
            groups.setdefault(group, {"hosts": {}})["hosts"][target.name] = {}
    return {"all": {"children": {"scanstations": {"hosts": hosts}, **groups}}}


def _launch(
    db: Database,
    executor: Executor,
    run_id: int,
    targets: list[Appliance],
    extra_vars: dict[str, str],
    check_mode: bool,
) -> None:
    request = RunRequest(
        inventory=inventory(targets),
        data_dir=executor.config.runs_dir / f"run-{run_id:06d}",
        extra_vars={**executor.config.extra_vars, **extra_vars},
        playbook=executor.config.playbook,
        project_dir=executor.config.project_dir,
        check_mode=check_mode,
    )
    executor.tasks[run_id] = asyncio.get_running_loop().create_task(
        _execute(db, executor, run_id, request)
    )


async def _execute(
    db: Database, executor: Executor, run_id: int, request: RunRequest
) -> None:
    async with db.exclusive((RUNNING, run_id)):
        await _execute_held(db, executor, run_id, request)


async def _execute_held(
    db: Database, executor: Executor, run_id: int, request: RunRequest
) -> None:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[Progress | None] = asyncio.Queue()
    writer = loop.create_task(_write_events(db, run_id, queue))

    def on_progress(progress: Progress) -> None:
        loop.call_soon_threadsafe(queue.put_nowait, progress)

    summary: dict[str, Any] | None = None
    error: str | None = None
    state = RunState.FAILED
    try:
        result = await asyncio.to_thread(
            _run_playbook, request, on_progress, executor.cancel
        )
        state = RunState.SUCCEEDED if result.succeeded else RunState.FAILED
        summary = {
            "results": msgspec.to_builtins(result.hosts),
            "drift": msgspec.to_builtins(result.changes) if request.check_mode else [],
            "failures": [f"{f.host}: {f.task}: {f.message}" for f in result.failures],
        }
    except Exception as exc:  # recorded on the run, never lost
        log.exception("provisioning run %d could not run", run_id)
        error = str(exc)
    finally:
        queue.put_nowait(None)
        await writer
    async with db.transaction() as conn:
        await repository.finish_run(
            conn,
            run_id,
            state=state.value,
            summary=summary,
            error=error,
            artifacts=str(request.data_dir),
            now=_now(),
        )
        await _advance_rollout(conn, run_id, state)


async def _write_events(
    db: Database, run_id: int, queue: asyncio.Queue[Progress | None]
) -> None:
    done = False
    while not done:
        batch = [await queue.get()]
        while not queue.empty():
            batch.append(queue.get_nowait())
        done = batch[-1] is None
        rows = [
            (p.seq, p.host, p.task, p.role, p.outcome, p.message, _now())
            for p in batch
            if p is not None
        ]
        if rows:
            async with db.transaction() as conn:
                await repository.insert_events(conn, run_id, rows)


async def _advance_rollout(conn: Connection, run_id: int, state: RunState) -> None:
    finished = await repository.run(conn, run_id)
    if finished is None or finished.rollout_id is None:
        return
    ok = state is RunState.SUCCEEDED
    if finished.rollout_stage == 1:
        new = RolloutState.READY if ok else RolloutState.FIRST_FAILED
    else:
        new = RolloutState.COMPLETED if ok else RolloutState.FAILED
    await repository.set_rollout_state(conn, finished.rollout_id, new.value, _now())


# Reading ---------------------------------------------------------------------------


async def run(
    db: Database, executor: Executor, principal: Principal | None, run_id: int
) -> Run:
    require_role(principal, Role.OPERATOR)
    async with db.read() as conn:
        found = await repository.run(conn, run_id)
    if found is None:
        raise NotFound(f"Den Lauf {run_id} gibt es nicht.")
    return (await _as_seen(db, executor, [found]))[0]


async def runs(
    db: Database, executor: Executor, principal: Principal | None
) -> list[Run]:
    require_role(principal, Role.OPERATOR)
    async with db.read() as conn:
        found = await repository.runs(conn)
    return await _as_seen(db, executor, found)


async def _as_seen(db: Database, executor: Executor, found: list[Run]) -> list[Run]:
    """Runs marked running that no process executes are interrupted."""
    open_ids = [
        r.id
        for r in found
        if r.state is RunState.RUNNING and r.id not in executor.tasks
    ]
    going = await db.held(RUNNING, open_ids) if open_ids else set()
    cutoff = datetime.now(UTC) - START_GRACE
    return [
        msgspec.structs.replace(r, state=RunState.INTERRUPTED)
        if r.id in open_ids
        and r.id not in going
        and datetime.fromisoformat(r.started_at) < cutoff
        else r
        for r in found
    ]


async def events(
    db: Database, principal: Principal | None, run_id: int, after: int
) -> list[RunEvent]:
    require_role(principal, Role.OPERATOR)
    async with db.read() as conn:
        if await repository.run(conn, run_id) is None:
            raise NotFound(f"Den Lauf {run_id} gibt es nicht.")
        return await repository.events(conn, run_id, after)


async def rollout(
    db: Database, principal: Principal | None, rollout_id: int
) -> Rollout:
    require_role(principal, Role.OPERATOR)
    async with db.read() as conn:
        found = await repository.rollout(conn, rollout_id)
    if found is None:
        raise NotFound(f"Den Rollout {rollout_id} gibt es nicht.")
    return found


async def rollouts(db: Database, principal: Principal | None) -> list[Rollout]:
    require_role(principal, Role.OPERATOR)
    async with db.read() as conn:
        return await repository.rollouts(conn)
