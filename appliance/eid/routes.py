"""The operator page "Bürger identifizieren" as a self-contained Litestar Router.

The station's app includes it with ``create_router(desk, readers)``; the pages
are rendered by this package's own Jinja templates, so the router does not depend
on the station's template configuration. Handlers decode the form, call the
desk, and answer 303 to the page (a reload never repeats a step).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Request, Router, get, post
from litestar.datastructures import State
from litestar.enums import MediaType
from litestar.response import Redirect, Response
from litestar.template.base import csrf_token

from appliance.eid.atr import CARD_LABELS
from appliance.eid.desk import EidDesk, Phase
from appliance.eid.errors import EidError
from appliance.eid.readers import ReaderBackend

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
)
WAITING = {Phase.INSERT_CARD}


def _page(request: Request[Any, Any, State], **context: Any) -> Response[str]:
    html = TEMPLATES.get_template("eid.html").render(
        csrf=csrf_token({"request": request}), **context
    )
    return Response(content=html, media_type=MediaType.HTML)


def create_router(
    desk: EidDesk, readers: ReaderBackend, *, path: str = "/eid"
) -> Router:
    """The router; ``desk`` and ``readers`` are shared by all requests."""

    def back(error: str = "") -> Redirect:
        return Redirect(
            path=path + (f"?fehler={error}" if error else ""), status_code=303
        )

    @get("/")
    async def show(request: Request[Any, Any, State]) -> Response[str]:
        view = await desk.advance() if desk.view.phase in WAITING else desk.view
        try:
            statuses, reader_error = await asyncio.to_thread(readers.snapshot), ""
        except EidError as exc:
            statuses, reader_error = [], exc.message
        return _page(
            request,
            base=path,
            view=view,
            readers=statuses,
            reader_error=reader_error,
            card_labels=CARD_LABELS,
            services=desk.profiles.values(),
            refresh=view.phase in WAITING,
            error=request.query_params.get("fehler", ""),
            batch=request.query_params.get("stapel", ""),
        )

    async def act(request: Request[Any, Any, State], action: str) -> Redirect:
        form = await request.form()
        try:
            match action:
                case "start":
                    await desk.start(
                        str(form.get("service", "")),
                        str(form.get("batch", "")).strip(),
                        operator=str(form.get("operator", "")) or "poststelle",
                    )
                case "rights":
                    await desk.choose_rights([str(v) for v in form.getall("optional")])
                case "secret":
                    await desk.enter_secret(str(form.get("value", "")).strip() or None)
                case "cancel":
                    await desk.cancel()
                case "confirm":
                    await desk.confirm()
                case "discard":
                    await desk.discard()
        except EidError as exc:
            return back(exc.message)
        return back()

    @post("/start", status_code=303)
    async def start(request: Request[Any, Any, State]) -> Redirect:
        return await act(request, "start")

    @post("/rights", status_code=303)
    async def rights(request: Request[Any, Any, State]) -> Redirect:
        return await act(request, "rights")

    @post("/secret", status_code=303)
    async def secret(request: Request[Any, Any, State]) -> Redirect:
        return await act(request, "secret")

    @post("/cancel", status_code=303)
    async def cancel(request: Request[Any, Any, State]) -> Redirect:
        return await act(request, "cancel")

    @post("/confirm", status_code=303)
    async def confirm(request: Request[Any, Any, State]) -> Redirect:
        return await act(request, "confirm")

    @post("/discard", status_code=303)
    async def discard(request: Request[Any, Any, State]) -> Redirect:
        return await act(request, "discard")

    return Router(
        path=path,
        route_handlers=[show, start, rights, secret, cancel, confirm, discard],
    )
