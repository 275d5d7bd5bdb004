"""HTTP routes of the subscriptions context."""

from __future__ import annotations

from litestar import Router

router = Router(path="/api/v1", route_handlers=[], tags=["subscriptions"])
