"""The German web pages, server-rendered, on the same services as the API."""

from __future__ import annotations

from litestar import Router

from marketplace.web import auth

router = Router(
    path="/",
    route_handlers=[auth.login_form, auth.login, auth.logout],
    include_in_schema=False,
)
