"""HTTP routes of the web context."""

from __future__ import annotations

from litestar import Router

router = Router(path="/", route_handlers=[], include_in_schema=False)
