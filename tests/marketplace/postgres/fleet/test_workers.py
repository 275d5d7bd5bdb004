"""Several marketplace workers on one PostgreSQL database and the fleet.

Two ``marketplace serve`` processes share the database and the document folder.
Stations race for their one-time tokens at both at once, then beat and deliver
to both at once. Writes are serialised across processes by the advisory lock
(docs/operations.md); without it both workers could read a token as unused and
the later one would overwrite the station's key with its own.

A provisioning run executing in one worker is seen as running by another (the
executing process holds the run's advisory lock), not as interrupted.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import msgspec
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from appliance.enrolment import DeviceAuth, load_or_create_key, public_key_text
from marketplace.app import create_app
from marketplace.db import Database
from marketplace.fleet import runs
from marketplace.fleet.runs import FleetConfig
from marketplace.fleet.service import key_fingerprint
from marketplace.settings import Settings
from tests.marketplace.fleet.conftest import LEIPZIG, Register
from tests.marketplace.fleet.test_enrolment_and_devices import (
    HEALTH,
    device_auth,
    issue,
)
from tests.marketplace.intake.samples import body, letter_pdf, sha256
from tests.support.processes import VENV_BIN, LiveProcess, free_port

STATIONS = 6
pytestmark = pytest.mark.slow


@pytest.fixture
def workers(
    client: AsyncTestClient[Litestar], settings: Settings, tmp_path: Path
) -> Iterator[list[str]]:
    """Two ``marketplace --database-url ... serve`` processes on the in-test app's
    database and document folder; their base URLs."""
    url = client.app.state.db.url
    started: list[LiveProcess] = []
    bases: list[str] = []
    try:
        for n in range(2):
            port = free_port()
            argv = [str(VENV_BIN / "marketplace"), "--db", str(settings.db_path)]
            argv += ["--database-url", url, "serve", "--port", str(port)]
            argv.append("--no-deliver")
            started.append(LiveProcess(argv, tmp_path / f"worker-{n}.log", {}))
            bases.append(f"http://127.0.0.1:{port}")
        for live, base in zip(started, bases, strict=True):
            live.wait_http(f"{base}/health")
        yield bases
    finally:
        for live in started:
            live.stop()


def _enrolment(token: str, state_dir: Path) -> dict[str, str]:
    return {
        "token": token,
        "public_key": public_key_text(load_or_create_key(state_dir)),
        "hostname": state_dir.name,
        "hardware_kind": "pc",
        "software_version": "0.1.0",
    }


async def _race_for_tokens(
    http: httpx.AsyncClient, bases: list[str], tokens: list[str], tmp_path: Path
) -> list[list[tuple[Path, httpx.Response]]]:
    """Per token, two devices (own keys) enrol at the two workers at once; all
    tokens at the same time. Per token: (device folder, answer) for both."""

    async def one(base: str, token: str, state_dir: Path) -> tuple[Path, Any]:
        answer = await http.post(
            f"{base}/api/v1/fleet/enrolments", json=_enrolment(token, state_dir)
        )
        return state_dir, answer

    calls = [
        one(base, token, tmp_path / f"device-{n}-{side}")
        for n, token in enumerate(tokens)
        for side, base in enumerate(bases)
    ]
    answers = await asyncio.gather(*calls)
    return [answers[i : i + 2] for i in range(0, len(answers), 2)]


async def _beat_and_deliver(
    http: httpx.AsyncClient, bases: list[str], auth: DeviceAuth, n: int
) -> tuple[list[int], list[int]]:
    """Two heartbeats and the same document twice, one of each to each worker,
    all at once; (heartbeat statuses, delivery statuses)."""
    document = letter_pdf(n)
    url = f"/api/v1/intake/documents/{sha256(document)}"
    beats = [
        http.post(
            f"{base}/api/v1/fleet/heartbeats",
            json={
                "software_version": "0.1.0",
                "hardware_kind": "pc",
                "health": {**HEALTH, "outbox_depth": side},
            },
            auth=auth,
        )
        for side, base in enumerate(bases)
    ]
    puts = [http.put(f"{base}{url}", json=body(document), auth=auth) for base in bases]
    answers = await asyncio.gather(*beats, *puts)
    statuses = [a.status_code for a in answers]
    return statuses[:2], statuses[2:]


async def _stations(client: AsyncTestClient[Litestar], operator: Any) -> list[Any]:
    return list((await client.get("/api/v1/fleet/appliances", headers=operator)).json())


async def _intake_senders(db: Database) -> list[tuple[str, int | None, int | None]]:
    async with (
        db.read() as conn,
        conn.execute(
            "SELECT municipality_ags, sender_user_id, sender_appliance_id"
            " FROM intake_documents ORDER BY sender_appliance_id"
        ) as cur,
    ):
        return [(row[0], row[1], row[2]) for row in await cur.fetchall()]


async def test_two_workers_enrol_beat_and_deliver_concurrently(
    client: AsyncTestClient[Litestar],
    accounts: dict[str, Any],
    register: Register,
    app_db: Database,
    workers: list[str],
    tmp_path: Path,
) -> None:
    """GIVEN six registered stations, each with one enrolment token, and two
    workers on one PostgreSQL database
    WHEN for every token two devices with their own keys enrol at the two workers
    at the same moment, and then every winner sends a heartbeat to each worker
    and delivers one document to both workers, all at once
    THEN each token enrols exactly one device (201 and 401 "bereits verwendet"),
    the station holds the winner's key and the loser's signature is refused; the
    heartbeats are recorded (200 each, health of one of the two beats); each
    document is stored once (201 at one worker, 200 at the other), recorded as
    sent by its station."""
    operator = accounts["operator"]
    stations = [await register(f"leipzig-scan-{n}") for n in range(STATIONS)]
    tokens = [await issue(client, operator, s["id"]) for s in stations]
    async with httpx.AsyncClient(timeout=30) as http:
        races = await _race_for_tokens(http, workers, tokens, tmp_path)
        winners: list[tuple[Path, dict[str, Any]]] = []
        for race in races:
            assert sorted(a.status_code for _, a in race) == [201, 401], [
                a.text for _, a in race
            ]
            (won_dir, won), (lost_dir, lost) = sorted(
                race, key=lambda r: r[1].status_code
            )
            assert "bereits verwendet" in lost.json()["detail"]
            granted = won.json()
            public = public_key_text(load_or_create_key(won_dir))
            assert granted["key_fingerprint"] == key_fingerprint(public)
            winners.append((won_dir, granted))
            loser = device_auth({**granted}, lost_dir)  # same id, the other key
            refused = await http.post(
                f"{workers[0]}/api/v1/fleet/heartbeats",
                json={
                    "software_version": "0.1.0",
                    "hardware_kind": "pc",
                    "health": HEALTH,
                },
                auth=loser,
            )
            assert refused.status_code == 401, refused.text
        results = await asyncio.gather(
            *(
                _beat_and_deliver(http, workers, device_auth(granted, folder), n)
                for n, (folder, granted) in enumerate(winners)
            )
        )
    for beats, puts in results:
        assert beats == [200, 200]
        assert sorted(puts) == [200, 201]
    listed = {s["id"]: s for s in await _stations(client, operator)}
    for _, granted in winners:
        station = listed[granted["appliance_id"]]
        assert station["state"] == "enrolled"
        assert station["key_fingerprint"] == granted["key_fingerprint"]
        assert station["health"]["outbox_depth"] in (0, 1)
        assert station["last_heartbeat_at"] is not None
    assert await _intake_senders(app_db) == [
        (LEIPZIG, None, granted["appliance_id"])
        for _, granted in sorted(winners, key=lambda w: w[1]["appliance_id"])
    ]


@pytest.fixture
async def second_worker(
    client: AsyncTestClient[Litestar], settings: Settings
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    """Another app (its own pool and run executor) on the same database."""
    other = msgspec.structs.replace(
        settings, database_url=client.app.state.db.url, deliver=False
    )
    async with AsyncTestClient(create_app(other)) as second:
        yield second


async def test_a_run_going_on_in_one_worker_is_running_in_another(
    client: AsyncTestClient[Litestar],
    second_worker: AsyncTestClient[Litestar],
    accounts: dict[str, Any],
    register: Register,
    fleet_config: FleetConfig,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """GIVEN two apps on one PostgreSQL database, no grace for young runs
    WHEN the operator starts a provisioning run at the first and it has begun
    (its first event is stored)
    THEN the second reports it running (not interrupted: the first holds its
    lock) for as long as it runs, and then with the same final state."""
    monkeypatch.setattr(runs, "START_GRACE", timedelta(0))
    operator = accounts["operator"]
    station = await register("leipzig-scan-1")
    started = await client.post(
        "/api/v1/fleet/runs", json={"appliances": [station["name"]]}, headers=operator
    )
    assert started.status_code == 202, started.text
    path = f"/api/v1/fleet/runs/{started.json()['id']}"
    for _ in range(600):  # until its first event is stored (60 s at most)
        if (await client.get(f"{path}/events", headers=operator)).json():
            break
        await asyncio.sleep(0.1)
    seen: list[str] = []
    for _ in range(600):  # 60 s at most
        there = (await second_worker.get(path, headers=operator)).json()["state"]
        here = (await client.get(path, headers=operator)).json()["state"]
        seen.append(there)
        if here != "running":
            break
        await asyncio.sleep(0.1)
    final = (await second_worker.get(path, headers=operator)).json()["state"]
    assert final == here == "succeeded"
    assert set(seen) <= {"running", "succeeded"}, seen
    assert "running" in seen
