"""The device dependencies as another context (intake) would mount them on its own
route: a small Litestar app with one handler, over the real fleet tables."""

from __future__ import annotations

import base64
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from litestar import Litestar, post
from litestar.di import Provide
from litestar.params import FromPath
from litestar.testing import AsyncTestClient

from appliance.enrolment import Credential, DeviceAuth
from marketplace.db import Database
from marketplace.fleet.auth import (
    DeviceCaller,
    OptionalDevice,
    provide_device,
    provide_optional_device,
    require_device_for,
)
from marketplace.problems import EXCEPTION_HANDLERS


@post("/strict/{ags:str}", dependencies={"device": Provide(provide_device)})
async def strict(device: DeviceCaller, ags: FromPath[str]) -> str:
    return require_device_for(device, ags).name


@post("/either", dependencies={"device": Provide(provide_optional_device)})
async def either(device: OptionalDevice) -> str:
    return device.name if device else "kein Gerät"


async def enrolled_station(db: Database) -> DeviceAuth:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    text = base64.urlsafe_b64encode(public).decode().rstrip("=")
    async with db.transaction() as conn:
        await conn.execute("INSERT INTO laender VALUES ('14', 'SN', 'Sachsen', 1)")
        await conn.execute(
            "INSERT INTO municipalities (ags, name, kind, land_code, population)"
            " VALUES ('14713000', 'Leipzig', 'kreisfreie_stadt', '14', 1)"
        )
        await conn.execute(
            "INSERT INTO fleet_appliances (name, municipality_ags, hardware_kind,"
            " rollout_group, connection, address, state, public_key, created_at)"
            " VALUES ('leipzig-scan-1', '14713000', 'pc', 'default', 'ssh', 'x',"
            " 'enrolled', ?, '2026-01-01')",
            (text,),
        )
    credential = Credential(
        appliance_id=1,
        name="leipzig-scan-1",
        municipality_ags="14713000",
        marketplace_url="http://testserver.local",
        key_fingerprint="",
        enrolled_at="",
    )
    return DeviceAuth(credential, key)


async def test_device_dependencies_on_a_foreign_route(
    db: Database, tmp_path: Path
) -> None:
    """GIVEN an enrolled Leipzig station WHEN it calls a route that requires a
    device, for Leipzig and for Dresden, and a route where a device is optional, with
    and without signing THEN Leipzig passes, Dresden is 403, the optional route
    names the station when signed and says "kein Gerät" when not."""
    auth = await enrolled_station(db)
    app = Litestar(
        [strict, either],
        dependencies={"db": Provide(lambda: db, sync_to_thread=False)},
        exception_handlers=EXCEPTION_HANDLERS,
    )
    async with AsyncTestClient(app) as client:
        leipzig = await client.post("/strict/14713000", auth=auth)
        dresden = await client.post("/strict/14612000", auth=auth)
        unsigned = await client.post("/strict/14713000")
        signed_either = await client.post("/either", auth=auth)
        plain_either = await client.post("/either")
    assert (leipzig.status_code, leipzig.text) == (201, "leipzig-scan-1")
    assert dresden.status_code == 403
    assert unsigned.status_code == 401
    assert signed_either.text == "leipzig-scan-1"
    assert plain_either.text == "kein Gerät"
