"""Provisioning runs, live events, drift reports, staged rollouts, unreachable hosts.

The runs execute real Ansible through ansible-runner; the playbook is the small one in
``project/`` and the stations are folders on this machine (local connection), so a
run takes seconds. The real appliance playbook is exercised in
``tests/provisioning/test_rootfs.py`` against a debootstrap root file system.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from marketplace.db import Database
from marketplace.fleet.runs import FleetConfig
from tests.marketplace.fleet.conftest import Register

RUNS = "/api/v1/fleet/runs"


def release(station: dict[str, Any]) -> str | None:
    """The release file the play writes into a station's folder, if there."""
    path = Path(station["address"], "release")
    return path.read_text() if path.exists() else None


def kept_artifacts(run_dir: Path) -> list[str]:
    """ansible-runner's artifact files of a run (stdout, job events, ...)."""
    return sorted(p.name for p in (run_dir / "artifacts").glob("*/*"))


def edit_release(station: dict[str, Any], text: str) -> None:
    Path(station["address"], "release").write_text(text)


def replace_folder_by_file(station: dict[str, Any]) -> None:
    folder = Path(station["address"])
    folder.rmdir()
    folder.write_text("kein Ordner")


async def finished(
    client: AsyncTestClient[Litestar], headers: dict[str, str], run_id: int
) -> dict[str, Any]:
    """Poll the run as a page would, until it is no longer running (60 s at most)."""
    for _ in range(600):
        run = (await client.get(f"{RUNS}/{run_id}", headers=headers)).json()
        if run["state"] != "running":
            return dict(run)
        await asyncio.sleep(0.1)
    raise AssertionError(f"run {run_id} still running after 60 s")


async def test_run_streams_events_and_stores_the_result(
    client: AsyncTestClient[Litestar],
    accounts: dict[str, Any],
    register: Register,
    fleet_config: FleetConfig,
) -> None:
    """GIVEN two stations WHEN the operator starts a run THEN it answers 202 at
    once, progress events arrive in order (task start, then a result per host), and
    the stored result counts one change per station; the artifacts are kept."""
    operator = accounts["operator"]
    a = await register("leipzig-scan-1")
    b = await register("leipzig-scan-2")
    started = await client.post(
        RUNS, json={"appliances": [a["name"], b["name"]]}, headers=operator
    )
    assert started.status_code == 202, started.text
    assert started.json()["state"] == "running"
    run = await finished(client, operator, started.json()["id"])
    assert run["state"] == "succeeded", run
    assert {r["host"]: r["changed"] for r in run["results"]} == {
        "leipzig-scan-1": 1,
        "leipzig-scan-2": 1,
    }
    events = (await client.get(f"{RUNS}/{run['id']}/events", headers=operator)).json()
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert events[0]["host"] is None
    assert events[0]["task"] == "Write the installed release"
    assert sorted(e["host"] for e in events if e["outcome"] == "changed") == [
        "leipzig-scan-1",
        "leipzig-scan-2",
    ]
    later = await client.get(
        f"{RUNS}/{run['id']}/events",
        params={"after": events[-1]["seq"]},
        headers=operator,
    )
    assert later.json() == []
    assert release(a) == "0.1.0\n"
    assert kept_artifacts(fleet_config.runs_dir / f"run-{run['id']:06d}")


async def test_drift_report_lists_what_would_change_and_changes_nothing(
    client: AsyncTestClient[Litestar],
    accounts: dict[str, Any],
    register: Register,
    fleet_config: FleetConfig,
) -> None:
    """GIVEN a provisioned station whose file was then edited by hand WHEN the
    operator asks for a drift report (check mode) THEN the report names the task
    that would change it on that station, and the station is left as it was."""
    operator = accounts["operator"]
    station = await register("leipzig-scan-1")
    first = await client.post(RUNS, json={"group": "default"}, headers=operator)
    assert (await finished(client, operator, first.json()["id"]))[
        "state"
    ] == "succeeded"
    edit_release(station, "von Hand geändert\n")
    drift = await client.post(
        RUNS, json={"group": "default", "check_mode": True}, headers=operator
    )
    report = await finished(client, operator, drift.json()["id"])
    assert report["kind"] == "drift"
    assert report["drift"] == [
        {"host": "leipzig-scan-1", "task": "Write the installed release", "role": None}
    ]
    assert release(station) == "von Hand geändert\n"


async def test_staged_rollout_goes_to_the_first_group_then_the_rest(
    client: AsyncTestClient[Litestar],
    accounts: dict[str, Any],
    register: Register,
    fleet_config: FleetConfig,
    app_db: Database,
) -> None:
    """GIVEN a pilot station and two others WHEN version 0.2.0 is rolled out to
    "pilot" THEN only the pilot gets it and the rollout waits ("ready"); asking for
    the rest then updates the others and completes the rollout; continuing a
    completed rollout is refused (409)."""
    operator = accounts["operator"]
    pilot = await register("leipzig-pilot-1", group="pilot")
    others = [await register(f"leipzig-scan-{n}") for n in (1, 2)]
    started = await client.post(
        "/api/v1/fleet/rollouts",
        json={"version": "0.2.0", "first_group": "pilot"},
        headers=operator,
    )
    assert started.status_code == 202, started.text
    rollout_url = f"/api/v1/fleet/rollouts/{started.json()['id']}"
    first_run = (await client.get(rollout_url, headers=operator)).json()["runs"][0]
    assert (await finished(client, operator, first_run))["state"] == "succeeded"
    assert (await client.get(rollout_url, headers=operator)).json()["state"] == "ready"
    assert release(pilot) == "0.2.0\n"
    assert [release(o) for o in others] == [None, None]

    rest = await client.post(f"{rollout_url}/continue", headers=operator)
    assert rest.status_code == 202, rest.text
    second_run = rest.json()["runs"][1]
    assert (await finished(client, operator, second_run))["hosts"] == [
        "leipzig-scan-1",
        "leipzig-scan-2",
    ]
    assert (await client.get(rollout_url, headers=operator)).json()[
        "state"
    ] == "completed"
    assert [release(o) for o in others] == ["0.2.0\n", "0.2.0\n"]
    again = await client.post(f"{rollout_url}/continue", headers=operator)
    assert again.status_code == 409
    async with (
        app_db.read() as conn,
        conn.execute(
            "SELECT COUNT(*) FROM fleet_appliances WHERE target_version = '0.2.0'"
        ) as cur,
    ):
        assert (await cur.fetchone())[0] == 3


async def test_failed_first_stage_holds_the_rest_back(
    client: AsyncTestClient[Litestar],
    accounts: dict[str, Any],
    register: Register,
    fleet_config: FleetConfig,
) -> None:
    """GIVEN a pilot station whose folder cannot be written (removed and replaced
    by a file) WHEN a rollout starts THEN the first stage fails, the rollout is
    "first_failed", and the rest cannot be started (409)."""
    operator = accounts["operator"]
    pilot = await register("leipzig-pilot-1", group="pilot")
    await register("leipzig-scan-1")
    replace_folder_by_file(pilot)
    started = await client.post(
        "/api/v1/fleet/rollouts",
        json={"version": "0.2.0", "first_group": "pilot"},
        headers=operator,
    )
    rollout_url = f"/api/v1/fleet/rollouts/{started.json()['id']}"
    run = await finished(client, operator, started.json()["runs"][0])
    assert run["state"] == "failed"
    assert run["failures"][0].startswith("leipzig-pilot-1: Write the installed release")
    assert (await client.get(rollout_url, headers=operator)).json()["state"] == (
        "first_failed"
    )
    assert (
        await client.post(f"{rollout_url}/continue", headers=operator)
    ).status_code == 409


async def test_unreachable_station_is_reported_as_such(
    client: AsyncTestClient[Litestar],
    accounts: dict[str, Any],
    register: Register,
    fleet_config: FleetConfig,
) -> None:
    """GIVEN one reachable station and one whose SSH port on this machine's
    loopback refuses connections (nothing listens on port 22 here) WHEN a run
    covers both THEN the reachable one is provisioned and the other is counted
    unreachable, not failed, with the connection error in the failures."""
    operator = accounts["operator"]
    good = await register("leipzig-scan-1")
    response = await client.post(
        "/api/v1/fleet/appliances",
        json={
            "name": "leipzig-offline-1",
            "municipality_ags": "14713000",
            "hardware_kind": "raspberrypi",
            "connection": "ssh",
            "address": "127.0.0.1",
        },
        headers=operator,
    )
    assert response.status_code == 201
    started = await client.post(RUNS, json={"group": "default"}, headers=operator)
    run = await finished(client, operator, started.json()["id"])
    results = {r["host"]: r for r in run["results"]}
    assert run["state"] == "failed"
    assert results["leipzig-offline-1"]["unreachable"] == 1
    assert results["leipzig-offline-1"]["failed"] == 0
    assert results["leipzig-scan-1"]["changed"] == 1
    assert any("leipzig-offline-1" in f and "ssh" in f.lower() for f in run["failures"])
    assert release(good) == "0.1.0\n"


async def test_run_input_is_checked(
    client: AsyncTestClient[Litestar],
    accounts: dict[str, Any],
    register: Register,
    fleet_config: FleetConfig,
    app_db: Database,
) -> None:
    """GIVEN a station WHEN a run names an unknown station, gives both stations and
    a group, tries to set ansible_* variables, or comes from a buyer THEN 422, 422,
    422 and 403, and no run is recorded."""
    await register("leipzig-scan-1")
    operator = accounts["operator"]
    bodies = [
        {"appliances": ["gibt-es-nicht"]},
        {"appliances": ["leipzig-scan-1"], "group": "default"},
        {"group": "default", "extra_vars": {"ansible_connection": "local"}},
    ]
    codes = [
        (await client.post(RUNS, json=b, headers=operator)).status_code for b in bodies
    ]
    buyer = await client.post(
        RUNS, json={"group": "default"}, headers=accounts["leipzig"]
    )
    assert codes == [422, 422, 422]
    assert buyer.status_code == 403
    async with (
        app_db.read() as conn,
        conn.execute("SELECT COUNT(*) FROM fleet_runs") as cur,
    ):
        assert (await cur.fetchone())[0] == 0


async def test_run_left_running_by_a_restart_is_reported_interrupted(
    client: AsyncTestClient[Litestar], accounts: dict[str, Any], app_db: Database
) -> None:
    """GIVEN a run recorded as running that no process executes (the marketplace
    was restarted during it) WHEN it is read THEN it is reported "interrupted",
    not running forever."""
    async with app_db.transaction() as conn:
        user = await (await conn.execute("SELECT id FROM users LIMIT 1")).fetchone()
        await conn.execute(
            "INSERT INTO fleet_runs (kind, check_mode, state, hosts, extra_vars,"
            " started_by, started_at) VALUES ('provision', 0, 'running', '[]', '{}',"
            " ?, '2026-01-01T00:00:00+00:00')",
            (user[0],),
        )
    run = await client.get(f"{RUNS}/1", headers=accounts["operator"])
    assert run.json()["state"] == "interrupted"
