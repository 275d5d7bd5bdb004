"""HTTP routes of the document intake context (scanned mail from appliances)."""

from __future__ import annotations

from litestar import Router

router = Router(path="/api/v1", route_handlers=[], tags=["intake"])
