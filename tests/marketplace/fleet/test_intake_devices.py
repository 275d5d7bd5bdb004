"""The intake with device credentials: an enrolled station delivers for its own
municipality only, is refused from the moment it is revoked, and municipality
accounts keep delivering with their bearer tokens."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.testing import AsyncTestClient

from appliance.enrolment import DeviceAuth
from marketplace.db import Database
from tests.marketplace.fleet.conftest import DRESDEN, LEIPZIG, Register
from tests.marketplace.fleet.test_enrolment_and_devices import (
    device_auth,
    enrol,
    issue,
)
from tests.marketplace.intake.samples import body, letter_pdf, sha256

URL = "/api/v1/intake/documents"


async def enrolled(
    client: AsyncTestClient[Litestar],
    accounts: dict[str, Any],
    register: Register,
    tmp_path: Path,
    name: str = "leipzig-scan-1",
) -> tuple[int, DeviceAuth]:
    station = await register(name)
    token = await issue(client, accounts["operator"], station["id"])
    state_dir = tmp_path / "state" / name
    granted = await enrol(client, token, state_dir)
    assert granted.status_code == 201, granted.text
    return station["id"], device_auth(granted.json(), state_dir)


async def senders(db: Database) -> list[tuple[str, int | None, int | None]]:
    async with (
        db.read() as conn,
        conn.execute(
            "SELECT municipality_ags, sender_user_id, sender_appliance_id"
            " FROM intake_documents ORDER BY received_at, sha256"
        ) as cur,
    ):
        return [(row[0], row[1], row[2]) for row in await cur.fetchall()]


async def test_station_delivers_with_its_own_credential(
    client: AsyncTestClient[Litestar],
    accounts: dict[str, Any],
    register: Register,
    app_db: Database,
    tmp_path: Path,
) -> None:
    """GIVEN an enrolled Leipzig station and Leipzig's buyer account
    WHEN the station delivers a document twice (once naming Leipzig) and the buyer
    delivers another one with the bearer token
    THEN 201 then 200 for the station, 201 for the buyer; both documents are
    Leipzig's, one recorded as sent by the station, one by the account."""
    station_id, auth = await enrolled(client, accounts, register, tmp_path)
    first, second = letter_pdf(1), letter_pdf(2)
    new = await client.put(f"{URL}/{sha256(first)}", json=body(first), auth=auth)
    again = await client.put(
        f"{URL}/{sha256(first)}?ags={LEIPZIG}", json=body(first), auth=auth
    )
    by_account = await client.put(
        f"{URL}/{sha256(second)}", json=body(second), headers=accounts["leipzig"]
    )
    assert (new.status_code, again.status_code) == (201, 200), new.text
    assert by_account.status_code == 201, by_account.text
    assert new.json()["municipality_ags"] == LEIPZIG
    listed = (await client.get(URL, headers=accounts["leipzig"])).json()
    assert {d["sha256"] for d in listed} == {sha256(first), sha256(second)}
    recorded = await senders(app_db)
    assert sorted(recorded, key=str) == sorted(
        [(LEIPZIG, None, station_id), (LEIPZIG, _user_of(recorded), None)], key=str
    )


def _user_of(recorded: list[tuple[str, int | None, int | None]]) -> int | None:
    users = [user for _, user, _ in recorded if user is not None]
    assert len(users) == 1
    return users[0]


async def test_station_may_not_deliver_for_another_municipality(
    client: AsyncTestClient[Litestar],
    accounts: dict[str, Any],
    register: Register,
    app_db: Database,
    tmp_path: Path,
) -> None:
    """GIVEN an enrolled Leipzig station and Leipzig's buyer account
    WHEN each delivers a document for Dresden
    THEN both are 403 with a German problem detail and nothing is stored."""
    _, auth = await enrolled(client, accounts, register, tmp_path)
    pdf = letter_pdf(3)
    url = f"{URL}/{sha256(pdf)}?ags={DRESDEN}"
    by_station = await client.put(url, json=body(pdf), auth=auth)
    by_account = await client.put(url, json=body(pdf), headers=accounts["leipzig"])
    for answer in (by_station, by_account):
        assert answer.status_code == 403, answer.text
        assert answer.headers["content-type"] == "application/problem+json"
        assert "nur für" in answer.json()["detail"]
        assert "eigene Kommune (14713000)" in answer.json()["detail"]
    assert await senders(app_db) == []
    assert not list((tmp_path / "intake").rglob("*.pdf"))


async def test_revoked_station_is_refused_at_its_next_delivery(
    client: AsyncTestClient[Litestar],
    accounts: dict[str, Any],
    register: Register,
    app_db: Database,
    tmp_path: Path,
) -> None:
    """GIVEN an enrolled station that has delivered one document
    WHEN the operator revokes it and the station delivers the next one
    THEN that delivery is 403 "gesperrt" (marked ``appliance_state: revoked``), a
    tampered signature is 401, and only the first document is stored."""
    station_id, auth = await enrolled(client, accounts, register, tmp_path)
    first, second = letter_pdf(4), letter_pdf(5)
    delivered = await client.put(f"{URL}/{sha256(first)}", json=body(first), auth=auth)
    assert delivered.status_code == 201, delivered.text
    revoked = await client.post(
        f"/api/v1/fleet/appliances/{station_id}/revoke", headers=accounts["operator"]
    )
    assert revoked.status_code == 200
    refused = await client.put(f"{URL}/{sha256(second)}", json=body(second), auth=auth)
    assert refused.status_code == 403, refused.text
    assert "gesperrt" in refused.json()["detail"]
    assert refused.json()["appliance_state"] == "revoked"
    assert await senders(app_db) == [(LEIPZIG, None, station_id)]


async def test_unsigned_or_tampered_station_requests_are_refused(
    client: AsyncTestClient[Litestar],
    accounts: dict[str, Any],
    register: Register,
    app_db: Database,
    tmp_path: Path,
) -> None:
    """GIVEN an enrolled station WHEN it sends a document whose body differs from
    the signed one, or a header that only looks like a station's
    THEN 401 with a German detail and nothing stored."""
    _, auth = await enrolled(client, accounts, register, tmp_path)
    pdf, other = letter_pdf(6), letter_pdf(7)
    signed = auth.header("PUT", f"{URL}/{sha256(pdf)}", b"{}")
    tampered = await client.put(
        f"{URL}/{sha256(pdf)}", json=body(pdf), headers={"Authorization": signed}
    )
    garbage = await client.put(
        f"{URL}/{sha256(other)}",
        json=body(other),
        headers={"Authorization": "Appliance id=1,ts=1,sig=x"},
    )
    assert (tampered.status_code, garbage.status_code) == (401, 401)
    assert "Signatur" in tampered.json()["detail"]
    assert "Authorization: Appliance" in garbage.json()["detail"]
    assert await senders(app_db) == []
