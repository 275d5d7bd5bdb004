"""Property tests of what a station sends before it is trusted: the enrolment
request (decoded by msgspec exactly as the route does, then given to the service
over a real SQLite file) and the ``Authorization: Appliance ...`` header of every
device call. Anything at all gives a typed result or the marketplace's own
refusal, never another exception."""

from __future__ import annotations

from typing import Any

import msgspec
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar.testing import AsyncTestClient

from marketplace.db import Database
from marketplace.errors import NotAuthenticated, PermissionDenied
from marketplace.fleet import service
from marketplace.fleet.schemas import EnrolmentIn, HardwareKind
from tests.marketplace.fleet.conftest import Register

ENROL = "/api/v1/fleet/enrolments"

FIELDS = ("token", "public_key", "hostname", "hardware_kind", "software_version")
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=60),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=10), inner, max_size=3)
    ),
    max_leaves=10,
)
near_requests = st.dictionaries(
    st.sampled_from((*FIELDS, "extra")), json_values, max_size=6
)
b64url = st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
requests = st.builds(
    EnrolmentIn,
    token=st.text(min_size=10, max_size=200),
    public_key=b64url.filter(lambda s: len(s) == 43) | st.just("A" * 43),
    hostname=st.text(min_size=1, max_size=253),
    hardware_kind=st.sampled_from(list(HardwareKind)),
    software_version=st.text(max_size=200),
)


def _decode(raw: bytes) -> EnrolmentIn | None:
    try:
        return msgspec.json.decode(raw, type=EnrolmentIn)
    except msgspec.DecodeError:  # ValidationError included: the route's 400
        return None


@given(raw=st.binary(max_size=400) | near_requests.map(msgspec.json.encode))
@example(raw=b'{"token": "' + b"x" * 10 + b'", "public_key": "' + b"A" * 43 + b'"}')
@example(raw=b"{" * 10_000)
def test_any_enrolment_body_decodes_or_is_a_validation_error(raw: bytes) -> None:
    """GIVEN arbitrary bytes or JSON objects with the request's field names and any
    values WHEN decoded as the route decodes them THEN a typed request or msgspec's
    validation error (a 400 problem), nothing else; a decoded request honours the
    field limits."""
    request = _decode(raw)
    if request is not None:
        assert 10 <= len(request.token) <= 200
        assert len(request.public_key) == 43


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=requests.map(msgspec.json.encode) | st.binary(max_size=300))
async def test_no_request_but_the_issued_token_enrols(
    client: AsyncTestClient[Litestar],
    register: Register,
    accounts: dict[str, Any],
    body: bytes,
) -> None:
    """GIVEN a registered station with an issued, unused enrolment token
    WHEN any other well-typed request or arbitrary bytes are posted to the
    enrolment route THEN each is refused with a 400 or 401 problem (never a server
    error), the issued token stays unused and the station has no key."""
    station = await _station(client, register, accounts)
    response = await client.post(
        ENROL, content=body, headers={"Content-Type": "application/json"}
    )
    assert response.status_code in (400, 401), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert station["token"] not in response.text
    database: Database = client.app.state.db
    async with (
        database.read() as conn,
        conn.execute(
            "SELECT count(*) FROM fleet_enrolment_tokens WHERE used_at IS NULL"
        ) as unused,
        conn.execute(
            "SELECT count(*) FROM fleet_appliances WHERE public_key IS NOT NULL"
        ) as keyed,
    ):
        assert [tuple(r) for r in await unused.fetchall()] == [(1,)]
        assert [tuple(r) for r in await keyed.fetchall()] == [(0,)]


async def _station(
    client: AsyncTestClient[Litestar], register: Register, accounts: dict[str, Any]
) -> dict[str, Any]:
    """One registered station with an issued token, made once per app."""
    state = client.app.state
    if "fuzz_station" not in state:
        station = await register("scan-1")
        issued = await client.post(
            f"/api/v1/fleet/appliances/{station['id']}/enrolment-tokens",
            json={"valid_hours": 2},
            headers=accounts["operator"],
        )
        assert issued.status_code == 201, issued.text
        state.fuzz_station = {"id": station["id"], "token": issued.json()["token"]}
    fuzz_station: dict[str, Any] = state.fuzz_station
    return fuzz_station


headers = st.one_of(
    st.none(),
    st.text(max_size=200),
    st.builds(
        "Appliance id={},ts={},sig={}".format,
        st.integers(0, 10**15 - 1),
        st.integers(0, 10**12 - 1),
        b64url.filter(lambda s: len(s) == 86) | st.just("A" * 86),
    ),
)


@settings(max_examples=80, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(header=headers, path=st.text(max_size=50), body=st.binary(max_size=100))
@example(header="Appliance id=999999999999999,ts=0,sig=" + "A" * 86, path="/", body=b"")
async def test_any_device_header_is_refused_cleanly(
    db: Database, header: str | None, path: str, body: bytes
) -> None:
    """GIVEN any Authorization header (garbage, or well-formed with any id, time
    and signature) and no enrolled station WHEN a device call is authenticated
    THEN it is refused with the marketplace's own 401/403 errors, never a crash."""
    try:
        await service.authenticate_device(
            db, header, method="POST", path=path, body=body
        )
    except (NotAuthenticated, PermissionDenied):
        return
    raise AssertionError("a device call without an enrolled station was accepted")
