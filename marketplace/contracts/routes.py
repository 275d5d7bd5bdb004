"""HTTP routes of the contracts context."""

from __future__ import annotations

from litestar import Router

router = Router(path="/api/v1", route_handlers=[], tags=["contracts"])
