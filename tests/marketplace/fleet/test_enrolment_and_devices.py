"""Enrolment tokens, signed device calls, heartbeats, revocation, scoping."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from appliance.enrolment import (
    Credential,
    DeviceAuth,
    load_or_create_key,
    public_key_text,
)
from marketplace.db import Database
from marketplace.errors import PermissionDenied
from marketplace.fleet.auth import require_device_for
from marketplace.fleet.schemas import Device
from tests.marketplace.fleet.conftest import DRESDEN, LEIPZIG, Register

HEALTH = {
    "scanner": "scanimage (sane-backends) 1.2.1",
    "reader": "pcscd 1.9.9",
    "ausweisapp": "AusweisApp2 1.26.2",
    "tesseract": "tesseract 5.3.0",
    "disk_free_bytes": 10_000_000_000,
    "disk_total_bytes": 30_000_000_000,
    "outbox_depth": 2,
    "dead_letters": 0,
}


async def issue(
    client: AsyncTestClient[Litestar], operator: dict[str, str], appliance_id: int
) -> str:
    response = await client.post(
        f"/api/v1/fleet/appliances/{appliance_id}/enrolment-tokens",
        json={"valid_hours": 2},
        headers=operator,
    )
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token


async def enrol(
    client: AsyncTestClient[Litestar], token: str, state_dir: Path
) -> httpx.Response:
    key = load_or_create_key(state_dir)
    return await client.post(
        "/api/v1/fleet/enrolments",
        json={
            "token": token,
            "public_key": public_key_text(key),
            "hostname": "scan-1",
            "hardware_kind": "pc",
            "software_version": "0.1.0",
        },
    )


def device_auth(granted: dict[str, Any], state_dir: Path) -> DeviceAuth:
    credential = Credential(
        appliance_id=granted["appliance_id"],
        name=granted["name"],
        municipality_ags=granted["municipality_ags"],
        marketplace_url="http://testserver.local",
        key_fingerprint=granted["key_fingerprint"],
        enrolled_at=granted["enrolled_at"],
    )
    return DeviceAuth(credential, load_or_create_key(state_dir))


async def count(db: Database, sql: str) -> int:
    async with db.read() as conn, conn.execute(sql) as cur:
        return int((await cur.fetchone())[0])


@pytest.fixture
async def enrolled(
    client: AsyncTestClient[Litestar],
    accounts: dict[str, Any],
    register: Register,
    tmp_path: Path,
) -> dict[str, Any]:
    station = await register("leipzig-scan-1")
    token = await issue(client, accounts["operator"], station["id"])
    response = await enrol(client, token, tmp_path / "device")
    assert response.status_code == 201, response.text
    return {
        "station": station,
        "granted": response.json(),
        "auth": device_auth(response.json(), tmp_path / "device"),
    }


async def beat(
    client: AsyncTestClient[Litestar], auth: httpx.Auth, health: dict[str, Any]
) -> httpx.Response:
    return await client.post(
        "/api/v1/fleet/heartbeats",
        json={"software_version": "0.1.0", "hardware_kind": "pc", "health": health},
        auth=auth,
    )


async def test_token_is_single_use_and_stored_hashed(
    client: AsyncTestClient[Litestar],
    accounts: dict[str, Any],
    register: Register,
    app_db: Database,
    tmp_path: Path,
) -> None:
    """GIVEN a registered station and a token WHEN it enrols, then the same token is
    used again THEN the first succeeds, the second is refused (401) with a German
    reason; the token is nowhere stored in clear and one enrolment happened."""
    station = await register("leipzig-scan-1")
    token = await issue(client, accounts["operator"], station["id"])
    first = await enrol(client, token, tmp_path / "a")
    again = await enrol(client, token, tmp_path / "b")
    assert first.status_code == 201, first.text
    assert first.json()["municipality_ags"] == LEIPZIG
    assert again.status_code == 401
    assert "bereits verwendet" in again.json()["detail"]
    async with (
        app_db.read() as conn,
        conn.execute("SELECT * FROM fleet_enrolment_tokens") as cur,
    ):
        rows = [tuple(r) for r in await cur.fetchall()]
    assert len(rows) == 1
    assert token not in repr(rows)
    fetched = await client.get(
        f"/api/v1/fleet/appliances/{station['id']}", headers=accounts["operator"]
    )
    assert fetched.json()["state"] == "enrolled"
    assert fetched.json()["key_fingerprint"] == first.json()["key_fingerprint"]


async def test_expired_token_is_refused(
    client: AsyncTestClient[Litestar],
    accounts: dict[str, Any],
    register: Register,
    app_db: Database,
    tmp_path: Path,
) -> None:
    """GIVEN a token whose validity has passed (its expiry moved into the past in
    the database, standing in for two hours of waiting) WHEN a station enrols
    THEN 401 "abgelaufen", and the station stays registered, not enrolled."""
    station = await register("leipzig-scan-1")
    token = await issue(client, accounts["operator"], station["id"])
    async with app_db.transaction() as conn:
        await conn.execute(
            "UPDATE fleet_enrolment_tokens SET expires_at = '2020-01-01T00:00:00+00:00'"
        )
    response = await enrol(client, token, tmp_path / "dev")
    assert response.status_code == 401
    assert "abgelaufen" in response.json()["detail"]
    assert (
        await count(
            app_db, "SELECT COUNT(*) FROM fleet_appliances WHERE state = 'registered'"
        )
        == 1
    )


async def test_unknown_token_and_malformed_key_are_refused(
    client: AsyncTestClient[Litestar], accounts: dict[str, Any], register: Register
) -> None:
    """GIVEN a station WHEN a made-up token or a key of the wrong shape comes
    THEN 401 and 400, nothing enrolled."""
    await register("leipzig-scan-1")
    body = {
        "token": "mpe_made-up-token-value",
        "public_key": "A" * 43,
        "hostname": "x",
        "hardware_kind": "pc",
        "software_version": "0.1.0",
    }
    unknown = await client.post("/api/v1/fleet/enrolments", json=body)
    bad_key = await client.post(
        "/api/v1/fleet/enrolments", json={**body, "public_key": "short"}
    )
    assert unknown.status_code == 401
    assert bad_key.status_code == 400


async def test_heartbeat_records_health(
    client: AsyncTestClient[Litestar],
    accounts: dict[str, Any],
    enrolled: dict[str, Any],
) -> None:
    """GIVEN an enrolled station WHEN it sends a signed heartbeat THEN the
    marketplace shows its version, health and time of the beat."""
    response = await beat(client, enrolled["auth"], HEALTH)
    assert response.status_code == 200, response.text
    station = (
        await client.get(
            f"/api/v1/fleet/appliances/{enrolled['station']['id']}",
            headers=accounts["operator"],
        )
    ).json()
    assert station["health"] == HEALTH
    assert station["software_version"] == "0.1.0"
    assert station["last_heartbeat_at"] == response.json()["received_at"]


async def test_unsigned_tampered_or_stale_calls_are_refused(
    client: AsyncTestClient[Litestar], enrolled: dict[str, Any], app_db: Database
) -> None:
    """GIVEN an enrolled station WHEN a heartbeat comes without signature, with a
    body changed after signing, with another station's id, or signed ten minutes
    ago THEN each is refused with 401 and no health is recorded."""
    auth: DeviceAuth = enrolled["auth"]
    body = b'{"software_version":"0.1.0","hardware_kind":"pc"}'
    url = "/api/v1/fleet/heartbeats"
    signed = auth.header("POST", url, body)
    tampered = body.replace(b"0.1.0", b"9.9.9")
    stale = int(time.time()) - 600
    other_id = signed.replace(f"id={auth._id},", f"id={auth._id + 1},")
    cases = {
        "none": {},
        "tampered": {"Authorization": signed},
        "other": {"Authorization": other_id},
        "stale": {
            "Authorization": f"Appliance id={auth._id},ts={stale},sig=" + "A" * 86
        },
    }
    results = {}
    for name, headers in cases.items():
        content = tampered if name == "tampered" else body
        response = await client.post(
            url,
            content=content,
            headers={**headers, "Content-Type": "application/json"},
        )
        results[name] = (response.status_code, response.json()["detail"])
    assert {name: code for name, (code, _) in results.items()} == dict.fromkeys(
        cases, 401
    )
    assert "fünf Minuten" in results["stale"][1]
    assert "Signatur" in results["tampered"][1]
    assert (
        await count(
            app_db, "SELECT COUNT(*) FROM fleet_appliances WHERE health IS NOT NULL"
        )
        == 0
    )


async def test_revoked_station_is_refused_at_once(
    client: AsyncTestClient[Litestar],
    accounts: dict[str, Any],
    enrolled: dict[str, Any],
    app_db: Database,
) -> None:
    """GIVEN a station beating normally WHEN the operator revokes it between two
    beats THEN the next beat is refused (403) and the stored health stays the last
    accepted one; its unused tokens die with it."""
    station_id = enrolled["station"]["id"]
    assert (await beat(client, enrolled["auth"], HEALTH)).status_code == 200
    await issue(client, accounts["operator"], station_id)  # unused when revoked
    revoked = await client.post(
        f"/api/v1/fleet/appliances/{station_id}/revoke", headers=accounts["operator"]
    )
    assert revoked.status_code == 200
    assert revoked.json()["state"] == "revoked"
    refused = await beat(client, enrolled["auth"], {**HEALTH, "outbox_depth": 99})
    assert refused.status_code == 403
    assert "gesperrt" in refused.json()["detail"]
    station = (
        await client.get(
            f"/api/v1/fleet/appliances/{station_id}", headers=accounts["operator"]
        )
    ).json()
    assert station["health"]["outbox_depth"] == 2
    assert (
        await count(
            app_db, "SELECT COUNT(*) FROM fleet_enrolment_tokens WHERE used_at IS NULL"
        )
        == 0
    )
    again = await client.post(
        f"/api/v1/fleet/appliances/{station_id}/enrolment-tokens",
        json={},
        headers=accounts["operator"],
    )
    assert again.status_code == 409


def test_device_acts_only_for_its_municipality() -> None:
    """GIVEN a Leipzig station WHEN it would act for Leipzig or for Dresden THEN
    Leipzig is allowed and Dresden refused with a German reason."""
    device = Device(appliance_id=1, name="leipzig-scan-1", municipality_ags=LEIPZIG)
    assert require_device_for(device, LEIPZIG) is device
    with pytest.raises(PermissionDenied, match="eigene Kommune"):
        require_device_for(device, DRESDEN)


async def test_roles_and_scoping(
    client: AsyncTestClient[Litestar], accounts: dict[str, Any], register: Register
) -> None:
    """GIVEN stations in Leipzig and Dresden WHEN the Leipzig buyer lists stations,
    registers one or asks for a token THEN it sees only Leipzig's and may not
    register or issue tokens (403); anonymous callers get 401."""
    leipzig = await register("leipzig-scan-1")
    dresden = await register("dresden-scan-1", ags=DRESDEN)
    listed = await client.get("/api/v1/fleet/appliances", headers=accounts["leipzig"])
    assert [a["name"] for a in listed.json()] == ["leipzig-scan-1"]
    hidden = await client.get(
        f"/api/v1/fleet/appliances/{dresden['id']}", headers=accounts["leipzig"]
    )
    assert hidden.status_code == 404
    token = await client.post(
        f"/api/v1/fleet/appliances/{leipzig['id']}/enrolment-tokens",
        json={},
        headers=accounts["leipzig"],
    )
    assert token.status_code == 403
    anonymous = await client.get("/api/v1/fleet/appliances")
    assert anonymous.status_code == 401
