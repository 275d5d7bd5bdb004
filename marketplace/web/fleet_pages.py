"""Fleet pages for the IT provider's operations: the stations per municipality with
their health, a station's page, registering a station and issuing its one-time
enrolment token, and revoking a station after a confirmation step.

The rules are the fleet services' own (``marketplace.fleet.service``): the operator
sees and manages every station, a municipality's buyers see their own stations.
Runs and rollouts are in ``fleet_run_pages``.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Annotated, Any, TypeVar

import msgspec
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from marketplace.catalog import service as catalog
from marketplace.dependencies import DB, Caller
from marketplace.errors import InvalidInput, NotFound
from marketplace.fleet import runs, service
from marketplace.fleet.routes import FleetExecutor
from marketplace.fleet.schemas import Appliance, ApplianceIn, TokenIn
from marketplace.identity.schemas import Role
from marketplace.identity.service import require_role
from marketplace.problems import translate_validation
from marketplace.web import fleet_labels
from marketplace.web.pages import page, see_other

T = TypeVar("T")
MUNICIPALITY_CHOICES = 2000  # AGS suggestions in the registration form


class StationForm(msgspec.Struct, kw_only=True):
    name: str = ""
    municipality_ags: str = ""
    hardware_kind: str = "pc"
    rollout_group: str = "default"
    connection: str = "ssh"
    address: str = ""


class TokenForm(msgspec.Struct, kw_only=True):
    valid_hours: str = "24"


Form = Body(media_type=RequestEncodingType.URL_ENCODED)


@get("/flotte", name="fleet")
async def stations_page(db: DB, principal: Caller) -> Template:
    """Every station the caller may see, grouped by municipality."""
    found = await service.appliances(db, principal)
    by_ags: dict[str, list[Appliance]] = defaultdict(list)
    for station in found:
        by_ags[station.municipality_ags].append(station)
    operator = principal is not None and principal.role is Role.OPERATOR
    return page(
        "fleet/stations.html",
        principal,
        groups=[
            (await _municipality_name(db, ags), ags, by_ags[ags]) for ags in by_ags
        ],
        overdue={s.id for s in found if service.heartbeat_overdue(s)},
        municipalities=await _municipalities(db) if operator else [],
        operator=operator,
        **fleet_labels.CONTEXT,
    )


@post("/flotte/stationen", status_code=303)
async def register_station(
    db: DB, principal: Caller, data: Annotated[StationForm, Form]
) -> Redirect:
    require_role(principal, Role.OPERATOR)
    values = {k: v.strip() for k, v in msgspec.structs.asdict(data).items()}
    request = convert_form(values, ApplianceIn)
    created = await service.register(db, principal, request)
    return see_other(f"/flotte/stationen/{created.id}")


@get("/flotte/stationen/{appliance_id:int}", name="fleet-station")
async def station_page(
    db: DB, principal: Caller, executor: FleetExecutor, appliance_id: FromPath[int]
) -> Template:
    found = await service.appliance(db, principal, appliance_id)
    operator = principal is not None and principal.role is Role.OPERATOR
    recent = await runs.runs(db, executor, principal) if operator else []
    return page(
        "fleet/station.html",
        principal,
        station=found,
        municipality=await _municipality_name(db, found.municipality_ags),
        overdue=service.heartbeat_overdue(found),
        runs=[r for r in recent if found.name in r.hosts][:20],
        operator=operator,
        **fleet_labels.CONTEXT,
    )


@post("/flotte/stationen/{appliance_id:int}/anmeldetoken", status_code=200)
async def issue_token(
    db: DB,
    principal: Caller,
    request: Request[Any, Any, State],
    appliance_id: FromPath[int],
    data: Annotated[TokenForm, Form],
) -> Template:
    """The token is in this answer only (not cached); the marketplace keeps its
    hash. The page's script puts the station's address in the history, so a
    reload shows the station page, not a new token."""
    require_role(principal, Role.OPERATOR)
    hours = convert_form({"valid_hours": _whole(data.valid_hours)}, TokenIn)
    issued = await service.issue_token(db, principal, appliance_id, hours)
    shown = page(
        "fleet/token.html",
        principal,
        issued=issued,
        station=await service.appliance(db, principal, appliance_id),
        marketplace_url=str(request.base_url).rstrip("/"),
    )
    shown.headers["Cache-Control"] = "no-store"
    return shown


@get("/flotte/stationen/{appliance_id:int}/sperren", name="fleet-revoke")
async def revoke_confirmation(
    db: DB, principal: Caller, appliance_id: FromPath[int]
) -> Template:
    require_role(principal, Role.OPERATOR)
    found = await service.appliance(db, principal, appliance_id)
    return page("fleet/revoke.html", principal, station=found)


@post("/flotte/stationen/{appliance_id:int}/sperren", status_code=303)
async def revoke(db: DB, principal: Caller, appliance_id: FromPath[int]) -> Redirect:
    await service.revoke(db, principal, appliance_id)
    return see_other(f"/flotte/stationen/{appliance_id}")


async def _municipality_name(db: DB, ags: str) -> str:
    try:
        return (await catalog.municipality(db, ags)).name
    except NotFound:
        return ags


async def _municipalities(db: DB) -> list[tuple[str, str]]:
    found = await catalog.municipalities(
        db, land_code=None, prefix="", limit=MUNICIPALITY_CHOICES, offset=0
    )
    return [(m.ags, m.name) for m in found]


def convert_form(values: dict[str, Any], kind: type[T]) -> T:
    """Form values into the API's input type, with its German validation message."""
    try:
        return msgspec.convert(values, kind)
    except msgspec.ValidationError as exc:
        raise InvalidInput(translate_validation(str(exc))) from exc


def _whole(text: str) -> int | str:
    return int(text) if text.strip().isdigit() else text
