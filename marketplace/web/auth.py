"""Login and logout for the web pages (a session cookie, never a token in the URL)."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import Request, get, post
from litestar.datastructures import Cookie, State
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromQuery
from litestar.response import Redirect, Template

from marketplace.dependencies import DB, SESSION_COOKIE, Caller
from marketplace.errors import NotAuthenticated
from marketplace.identity import service as identity
from marketplace.identity.schemas import Principal, Role
from marketplace.settings import Settings
from marketplace.web.pages import page, safe_next

HOME_BY_ROLE = {
    Role.MUNICIPALITY_BUYER: "/kommune",
    Role.PROVIDER_ADMIN: "/anbieter",
    Role.OPERATOR: "/",
}


class LoginForm(msgspec.Struct, kw_only=True):
    login: str = ""
    password: str = ""
    weiter: str = ""


Form = Annotated[LoginForm, Body(media_type=RequestEncodingType.URL_ENCODED)]


@get("/anmelden", name="login-form")
async def login_form(principal: Caller, weiter: FromQuery[str] = "") -> Template:
    return page("login.html", principal, next_path=safe_next(weiter, ""))


@post("/anmelden", status_code=303)
async def login(
    db: DB, principal: Caller, data: Form, request: Request[Any, Any, State]
) -> Redirect | Template:
    try:
        user = await identity.authenticate(db, data.login.strip(), data.password)
    except NotAuthenticated as exc:
        return page(
            "login.html",
            principal,
            status_code=401,
            error=exc.detail,
            login=data.login,
            next_path=safe_next(data.weiter, ""),
        )
    settings: Settings = request.app.state.settings
    token = await identity.open_session(db, user, settings.session_hours)
    return _redirect_with_session(user, data.weiter, token, settings)


@post("/abmelden", status_code=303)
async def logout(db: DB, request: Request[Any, Any, State]) -> Redirect:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await identity.close_session(db, token)
    response = Redirect(path="/", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


def _redirect_with_session(
    user: Principal, next_path: str, token: str, settings: Settings
) -> Redirect:
    response = Redirect(
        path=safe_next(next_path, HOME_BY_ROLE[user.role]), status_code=303
    )
    response.set_cookie(
        Cookie(
            key=SESSION_COOKIE,
            value=token,
            httponly=True,
            secure=settings.secure_cookies,
            samesite="lax",
            max_age=settings.session_hours * 3600,
            path="/",
        )
    )
    return response
