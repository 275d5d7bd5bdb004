"""The fleet pages in process (the browser flows are in ``test_fleet_browser.py``):
health and overdue heartbeats on the overview, who may see and do what, form
errors, the token shown once, and the run page without JavaScript."""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar import Litestar
from litestar.testing import AsyncTestClient

from appliance.enrolment import public_key_text
from marketplace.db import Database
from marketplace.fleet import repository, service
from marketplace.fleet.runs import FleetConfig
from marketplace.fleet.schemas import (
    ApplianceIn,
    Connection,
    EnrolmentIn,
    HardwareKind,
    Health,
    TokenIn,
)
from marketplace.identity import service as identity
from marketplace.identity.schemas import Principal, Role
from tests.marketplace.conftest import MakeAccount
from tests.marketplace.fleet.conftest import DRESDEN, LEIPZIG, PROJECT
from tests.marketplace.web.conftest import csrf_token
from tests.security.test_route_access import GUARDED

HTML = {"Accept": "text/html"}
# Operator-only pages and forms: (method, path) with demo-like path values.
OPERATOR_ONLY = [
    ("POST", "/flotte/stationen"),
    ("POST", "/flotte/stationen/1/anmeldetoken"),
    ("GET", "/flotte/stationen/1/sperren"),
    ("POST", "/flotte/stationen/1/sperren"),
    ("GET", "/flotte/laeufe"),
    ("POST", "/flotte/laeufe"),
    ("GET", "/flotte/laeufe/1"),
    ("GET", "/flotte/rollouts"),
    ("POST", "/flotte/rollouts"),
    ("GET", "/flotte/rollouts/1"),
    ("POST", "/flotte/rollouts/1/fortsetzen"),
]


@pytest.fixture
async def people(app_db: Database, make_account: MakeAccount) -> dict[str, Any]:
    """Leipzig and Dresden, with bearer headers of the operator, a Leipzig buyer
    and a provider's admin (the pages accept a bearer token like a session)."""
    async with app_db.transaction() as conn:
        await conn.execute(
            "INSERT OR IGNORE INTO laender VALUES ('14', 'SN', 'Sachsen', 4086152)"
        )
        for ags, name in ((LEIPZIG, "Leipzig"), (DRESDEN, "Dresden")):
            await conn.execute(
                "INSERT INTO municipalities (ags, name, kind, land_code, population)"
                " VALUES (?, ?, 'kreisfreie_stadt', '14', 600000)",
                (ags, name),
            )
        await conn.execute(
            "INSERT INTO providers (id, name, kind, land_code, created_at)"
            " VALUES ('lecos', 'Lecos', 'public_it_provider', '14', '2026-01-01')"
        )
    return {
        "operator": await make_account("betrieb", Role.OPERATOR),
        "leipzig": await make_account(
            "leipzig", Role.MUNICIPALITY_BUYER, municipality_ags=LEIPZIG
        ),
        "provider": await make_account(
            "lecos", Role.PROVIDER_ADMIN, provider_id="lecos"
        ),
    }


async def station(
    db: Database, name: str, *, ags: str = LEIPZIG, address: str = "192.0.2.1"
) -> int:
    created = await service.register(
        db,
        await operator(db),
        ApplianceIn(
            name=name,
            municipality_ags=ags,
            hardware_kind=HardwareKind.PC,
            connection=Connection.LOCAL,
            address=address,
        ),
    )
    return created.id


async def operator(db: Database) -> Principal:
    return await identity.authenticate(db, "betrieb", "correct-horse")


async def enrolled(
    db: Database, name: str, beat_minutes_ago: float, **health: Any
) -> int:
    """An enrolled station whose last heartbeat came that many minutes ago."""
    appliance_id = await station(db, name)
    issued = await service.issue_token(db, await operator(db), appliance_id, TokenIn())
    await service.enrol(
        db,
        EnrolmentIn(
            token=issued.token,
            public_key=public_key_text(Ed25519PrivateKey.generate()),
            hostname=name,
            hardware_kind=HardwareKind.PC,
            software_version="0.1.0",
        ),
    )
    moment = datetime.now(UTC) - timedelta(minutes=beat_minutes_ago)
    async with db.transaction() as conn:
        await repository.record_heartbeat(
            conn,
            appliance_id,
            version="0.1.0",
            health=Health(**health),
            peer="192.0.2.50",
            now=moment.isoformat(timespec="seconds"),
        )
    return appliance_id


def row(html: str, name: str) -> str:
    found = re.search(
        rf'<tr class="station" data-station="{name}".*?</tr>', html, re.DOTALL
    )
    assert found, f"no row for {name}"
    return found[0]


async def test_overview_marks_overdue_beats_missing_programs_and_dead_letters(
    client: AsyncTestClient[Litestar], app_db: Database, people: dict[str, Any]
) -> None:
    """GIVEN a station that beat 10 minutes ago with a full report, one silent for
    16 minutes (more than three beats of five) with no AusweisApp and two dead
    letters, and one not yet enrolled WHEN the operator opens the overview THEN
    only the silent one is "überfällig", its missing program says "fehlt", its
    dead letters are highlighted; the unenrolled one waits for enrolment."""
    await enrolled(
        app_db,
        "leipzig-frisch",
        10,
        scanner="scanimage (sane-backends) 1.1.1-debian",
        reader="pcsc-lite version 1.9.9.",
        ausweisapp="AusweisApp2 1.26.2",
        tesseract="tesseract 5.3.0",
        disk_free_bytes=12_345_678_901,
        disk_total_bytes=31_000_000_000,
        outbox_depth=3,
    )
    await enrolled(
        app_db, "leipzig-still", 16, tesseract="tesseract 5.3.0", dead_letters=2
    )
    await station(app_db, "leipzig-neu")
    page = await client.get("/flotte", headers={**HTML, **people["operator"]})
    assert page.status_code == 200
    fresh, silent = row(page.text, "leipzig-frisch"), row(page.text, "leipzig-still")
    assert "überfällig" not in fresh
    assert "überfällig" in silent
    assert "1.1.1-debian" in fresh
    assert "12,3 GB" in fresh
    assert '<td class="num outbox">3</td>' in fresh
    assert '<td class="num dead-letters">0</td>' in fresh
    assert '<dd class="ausweisapp"><span class="badge bad missing">fehlt' in silent
    assert '<td class="num dead-letters alert">2</td>' in silent
    new = row(page.text, "leipzig-neu")
    assert "wartet auf Anmeldung" in new
    assert "noch kein Bericht" in new
    assert "überfällig" not in new


async def test_buyer_sees_own_stations_only_and_no_operator_page(
    client: AsyncTestClient[Litestar], app_db: Database, people: dict[str, Any]
) -> None:
    """GIVEN a Leipzig and a Dresden station WHEN Leipzig's buyer opens the fleet
    THEN only the Leipzig station shows (Dresden's page is 404), without forms;
    every operator page and form answers 403; a provider's admin gets 403 on the
    overview."""
    leipzig = await station(app_db, "leipzig-1")
    dresden = await station(app_db, "dresden-1", ags=DRESDEN)
    buyer = {**HTML, **people["leipzig"]}
    overview = await client.get("/flotte", headers=buyer)
    assert "leipzig-1" in overview.text
    assert "dresden-1" not in overview.text
    assert "<form" not in overview.text.split("<main", 1)[1]
    own = await client.get(f"/flotte/stationen/{leipzig}", headers=buyer)
    assert own.status_code == 200
    assert "anmeldetoken" not in own.text
    foreign = await client.get(f"/flotte/stationen/{dresden}", headers=buyer)
    assert foreign.status_code == 404
    csrf = csrf_token(overview.text)
    refused = {}
    for method, path in OPERATOR_ONLY:
        answer = await client.request(
            method,
            path,
            headers=buyer,
            data={"_csrf_token": csrf} if method == "POST" else None,
        )
        refused[(method, path)] = answer.status_code
    assert set(refused.values()) == {403}, refused
    provider = await client.get("/flotte", headers={**HTML, **people["provider"]})
    assert provider.status_code == 403


def test_every_fleet_page_is_in_the_anonymous_access_check() -> None:
    """GIVEN the route table the security test enumerates WHEN the fleet pages are
    looked up THEN each is there as a guarded route (none is public)."""
    fleet = {route for route in GUARDED if route[1].startswith("/flotte")}
    assert len(fleet) == 13
    assert ("GET", "/flotte") in fleet


async def test_register_errors_in_german_and_token_shown_once(
    client: AsyncTestClient[Litestar], people: dict[str, Any]
) -> None:
    """GIVEN the operator WHEN the registration form has a bad AGS THEN 422 with a
    German reason naming the field; WHEN it is right THEN the station's page;
    WHEN a token is made THEN it is in that answer only (not cacheable), and the
    station's page never shows it; a validity of 0 hours is refused."""
    operator = {**HTML, **people["operator"]}
    form = await client.get("/flotte", headers=operator)
    fields = {
        "_csrf_token": csrf_token(form.text),
        "name": "leipzig-scan-7",
        "municipality_ags": "1471300",
        "hardware_kind": "raspberrypi",
        "rollout_group": "pilot",
        "connection": "ssh",
        "address": "192.0.2.7",
    }
    bad = await client.post("/flotte/stationen", data=fields, headers=operator)
    assert bad.status_code == 422
    assert "Feld „municipality_ags“" in bad.text
    fields["municipality_ags"] = LEIPZIG
    made = await client.post(
        "/flotte/stationen", data=fields, headers=operator, follow_redirects=False
    )
    assert made.status_code == 303
    station_url = made.headers["location"]
    token_url = f"{station_url}/anmeldetoken"
    issued = await client.post(
        token_url,
        data={"_csrf_token": fields["_csrf_token"], "valid_hours": "3"},
        headers=operator,
    )
    assert issued.status_code == 200
    assert issued.headers["cache-control"] == "no-store"
    token = re.search(r'id="token" class="token-value">(mpe_[^<]+)<', issued.text)
    assert token
    shown = await client.get(station_url, headers=operator)
    assert token[1] not in shown.text
    assert "Anmeldetoken erzeugen" in shown.text
    zero = await client.post(
        token_url,
        data={"_csrf_token": fields["_csrf_token"], "valid_hours": "0"},
        headers=operator,
    )
    assert zero.status_code == 422
    assert "mindestens 1" in zero.text


async def test_run_page_reloads_itself_without_script_until_the_result(
    client: AsyncTestClient[Litestar],
    app_db: Database,
    people: dict[str, Any],
    tmp_path: Path,
) -> None:
    """GIVEN a station that is a folder here and the small test playbook WHEN a
    drift report is started from the form THEN the run's page, while running,
    carries a <noscript> refresh and the live-progress hooks; once finished it has
    neither and shows the result per station and the drift list."""
    client.app.state.fleet_config = FleetConfig(
        runs_dir=tmp_path / "runs", project_dir=PROJECT, playbook="version.yml"
    )
    folder = tmp_path / "leipzig-drift"
    folder.mkdir()
    await station(app_db, "leipzig-drift", address=str(folder))
    operator = {**HTML, **people["operator"]}
    form = await client.get("/flotte/laeufe", headers=operator)
    started = await client.post(
        "/flotte/laeufe",
        data={
            "_csrf_token": csrf_token(form.text),
            "ziel": "station:leipzig-drift",
            "pruefen": "1",
        },
        headers=operator,
        follow_redirects=False,
    )
    assert started.status_code == 303
    run_url = started.headers["location"]
    running = await client.get(run_url, headers=operator)
    assert '<noscript><meta http-equiv="refresh"' in running.text
    assert "data-run-live=" in running.text
    assert "/static/fleet.js" in running.text
    for _ in range(600):
        done = await client.get(run_url, headers=operator)
        if 'data-state="running"' not in done.text:
            break
        await asyncio.sleep(0.1)
    assert 'data-state="succeeded"' in done.text
    assert "http-equiv" not in done.text
    assert "data-run-live=" not in done.text
    assert 'data-host="leipzig-drift" data-verdict="changed"' in done.text
    assert '<tr class="drift-item" data-host="leipzig-drift">' in done.text
    assert not (folder / "release").exists()


async def test_run_form_passes_extra_vars_and_refuses_connection_settings(
    client: AsyncTestClient[Litestar],
    app_db: Database,
    people: dict[str, Any],
    tmp_path: Path,
) -> None:
    """GIVEN a station that is a folder here WHEN the run form sets
    ``scanstation_version=9.9.9`` as an extra variable THEN the play installs that
    release; WHEN it tries ``ansible_host`` or a line without "=" THEN 422 in
    German and no run starts."""
    client.app.state.fleet_config = FleetConfig(
        runs_dir=tmp_path / "runs", project_dir=PROJECT, playbook="version.yml"
    )
    folder = tmp_path / "leipzig-vars"
    folder.mkdir()
    await station(app_db, "leipzig-vars", address=str(folder))
    operator = {**HTML, **people["operator"]}
    csrf = csrf_token((await client.get("/flotte/laeufe", headers=operator)).text)

    async def start(variables: str) -> Any:
        return await client.post(
            "/flotte/laeufe",
            data={
                "_csrf_token": csrf,
                "ziel": "station:leipzig-vars",
                "variablen": variables,
            },
            headers=operator,
            follow_redirects=False,
        )

    refused = await start("ansible_host=/etc")
    assert refused.status_code == 422
    assert "ansible_host" in refused.text
    malformed = await start("scanstation_version 9.9.9")
    assert malformed.status_code == 422
    assert "Zeile 1: erwartet wird name=wert" in malformed.text
    started = await start("\nscanstation_version = 9.9.9\n")
    assert started.status_code == 303
    runs = "/api/v1/fleet/runs"
    for _ in range(600):
        listed = (await client.get(runs, headers=people["operator"])).json()
        if listed[0]["state"] != "running":
            break
        await asyncio.sleep(0.1)
    assert [r["state"] for r in listed] == ["succeeded"]
    assert (folder / "release").read_text() == "9.9.9\n"
