"""The device check every station call goes through, for any context to reuse.

Add ``"device": Provide(provide_device)`` to a router's or handler's
``dependencies`` and take ``device: DeviceCaller``: the request is refused (401)
unless it carries a valid signature of an enrolled station, and refused (403) from
the moment the station is revoked. Then call ``require_device_for(device, ags)``
before acting for a municipality.
"""

from __future__ import annotations

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from marketplace.dependencies import DB
from marketplace.fleet import service
from marketplace.fleet.schemas import Device

DeviceCaller = NamedDependency[Device]
OptionalDevice = NamedDependency[Device | None]
require_device_for = service.require_device_for


async def provide_device(request: Request[object, object, State], db: DB) -> Device:
    raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
    query: bytes = request.scope.get("query_string", b"")
    path = raw_path.decode() + (f"?{query.decode()}" if query else "")
    return await service.authenticate_device(
        db,
        request.headers.get("authorization"),
        method=request.method,
        path=path,
        body=await request.body(),
    )


async def provide_optional_device(
    request: Request[object, object, State], db: DB
) -> Device | None:
    """Like ``provide_device`` for routes that also serve people: ``None`` when the
    request carries no ``Authorization: Appliance ...`` header at all."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith(f"{service.AUTH_SCHEME} "):
        return None
    return await provide_device(request, db)
