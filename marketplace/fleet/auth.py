"""The device check every station call goes through, for any context to reuse.

Add ``"device": Provide(provide_device)`` to a router's or handler's
``dependencies`` and take ``device: DeviceCaller``: the request is refused (401)
unless it carries a valid signature of an enrolled station, and refused (403) from
the moment the station is revoked. Then call ``require_device_for(device, ags)``
before acting for a municipality.

A route that serves both stations and people (the intake's delivery) mounts
``DEVICE_OR_PERSON``: a signed request resolves ``device`` and leaves ``principal``
``None``; any other request resolves ``principal`` as usual and ``device`` is
``None``.
"""

from __future__ import annotations

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from marketplace.dependencies import DB, provide_principal
from marketplace.fleet import service
from marketplace.fleet.schemas import Device
from marketplace.identity.schemas import Principal

DeviceCaller = NamedDependency[Device]
OptionalDevice = NamedDependency[Device | None]
require_device_for = service.require_device_for


async def provide_device(request: Request[object, object, State], db: DB) -> Device:
    raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
    # ASGI servers give the path without the query; some test transports keep it.
    raw_path = raw_path.partition(b"?")[0]
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
    if not _signed_by_device(request):
        return None
    return await provide_device(request, db)


async def provide_person_unless_device(
    request: Request[object, object, State], db: DB
) -> Principal | None:
    """The usual ``principal``, except ``None`` for a signed station request (whose
    ``Authorization`` header the bearer check would refuse)."""
    if _signed_by_device(request):
        return None
    return await provide_principal(request, db)


def _signed_by_device(request: Request[object, object, State]) -> bool:
    header = request.headers.get("authorization", "")
    return header.lower().startswith(f"{service.AUTH_SCHEME} ")


DEVICE_OR_PERSON = {
    "device": Provide(provide_optional_device),
    "principal": Provide(provide_person_unless_device),
}
