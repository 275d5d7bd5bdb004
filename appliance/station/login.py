"""The login page ("Anmelden") and logging out; see ``appliance.station.auth``."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from appliance.station.auth import LOGIN_PATH, Users
from appliance.station.routes import StationDep

Form = Body(media_type=RequestEncodingType.URL_ENCODED)


class LoginForm(msgspec.Struct, kw_only=True):
    name: str = ""
    password: str = ""
    weiter: str = "/"


def _target(weiter: str) -> str:
    """Only a path on this station, never another site."""
    return weiter if weiter.startswith("/") and not weiter.startswith("//") else "/"


def users_of(station: Any) -> Users:
    return Users(station.data / "station.sqlite3")


@get(LOGIN_PATH)
async def login_page(
    station: StationDep,
    weiter: FromQuery[str] = "/",
    fehler: FromQuery[str | None] = None,
) -> Template:
    return Template(
        template_name="login.html",
        context={
            "settings": station.settings,
            "weiter": _target(weiter),
            "error": fehler,
            "no_accounts": await asyncio.to_thread(users_of(station).count) == 0,
        },
    )


@post(LOGIN_PATH)
async def login(
    request: Request[Any, Any, State],
    station: StationDep,
    data: Annotated[LoginForm, Form],
) -> Redirect:
    users = users_of(station)
    if not await asyncio.to_thread(users.verify, data.name, data.password):
        return Redirect(
            f"{LOGIN_PATH}?fehler=Name+oder+Passwort+falsch.", status_code=303
        )
    request.set_session({"user": data.name})
    return Redirect(_target(data.weiter), status_code=303)


@post("/abmelden")
async def logout(request: Request[Any, Any, State]) -> Redirect:
    request.clear_session()
    return Redirect(LOGIN_PATH, status_code=303)


LOGIN_ROUTES = [login_page, login, logout]
