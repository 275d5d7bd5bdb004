"""German pages of the delivery engine for the municipality: the routes of a
subscription (add, change, switch off, Testzustellung), its outbox with receipts
and dead letters (retry), and the transfer log with its export."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from litestar import Response, Router, get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from connectors import registry
from marketplace.delivery import enqueue, reroute, service
from marketplace.delivery.engine import DeliveryEngine
from marketplace.delivery.routes import folder_root
from marketplace.delivery.schemas import (
    SECRET_MASK,
    STATE_LABELS,
    OutboxState,
    RouteChange,
    RouteIn,
)
from marketplace.dependencies import DB, Caller, DocumentStore
from marketplace.documents.downloads import submission_document
from marketplace.errors import InvalidInput
from marketplace.identity.schemas import Role
from marketplace.identity.service import require_role
from marketplace.subscriptions import service as subscriptions
from marketplace.web.pages import page, see_other

Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]
KIND_LABELS = {
    "fitconnect": "FIT-Connect (Fachverfahren)",
    "xdomea": "xdomea (E-Akte/DMS)",
    "webhook": "Webhook (signierter HTTPS-Aufruf)",
    "dropfolder": "Ablageordner (nächtlicher Import)",
}
BREAKER_LABELS = {"closed": "in Ordnung", "open": "unterbrochen", "half_open": "Probe"}


def _engine(state: State) -> DeliveryEngine:
    engine: DeliveryEngine = state.delivery
    return engine


def when(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    return datetime.fromtimestamp(seconds, UTC).strftime("%d.%m.%Y %H:%M:%S UTC")


@get("/abonnements/{subscription_id:str}/zustellung", name="delivery")
async def delivery_page(
    db: DB, principal: Caller, state: State, subscription_id: FromPath[str]
) -> Template:
    found = await subscriptions.subscription(db, principal, subscription_id)
    engine = _engine(state)
    routes = await service.routes(db, principal, subscription_id, engine.breaker)
    items = await service.outbox(
        db, principal, subscription_id, tuple(OutboxState), 200
    )
    return page(
        "delivery/subscription.html",
        principal,
        subscription=found,
        routes=routes,
        items=items,
        dead=[i for i in items if i.state is OutboxState.DEAD],
        kinds={kind: registry.describe(kind) for kind in KIND_LABELS},
        kind_labels=KIND_LABELS,
        state_labels=STATE_LABELS,
        breaker_labels=BREAKER_LABELS,
        mask=SECRET_MASK,
        engine_running=engine.running,
        when=when,
    )


@post("/abonnements/{subscription_id:str}/routen", status_code=303)
async def add_route(
    db: DB, principal: Caller, state: State, subscription_id: FromPath[str], data: Form
) -> Redirect:
    route = RouteIn(
        name=data.get("name", "").strip() or "Route",
        environment="test" if data.get("environment") == "test" else "production",
        kind=_kind(data.get("kind", "")),
        settings=_settings(data),
    )
    root = folder_root(_engine(state).settings)
    await service.add_route(db, principal, subscription_id, route, root)
    return see_other(f"/abonnements/{subscription_id}/zustellung")


@post("/abonnements/{subscription_id:str}/routen/{route_id:int}", status_code=303)
async def change_route(
    db: DB,
    principal: Caller,
    state: State,
    subscription_id: FromPath[str],
    route_id: FromPath[int],
    data: Form,
) -> Redirect:
    change = RouteChange(
        name=data.get("name", "").strip() or None,
        settings=_settings(data) if data.get("action") == "save" else None,
        enabled={"enable": True, "disable": False}.get(data.get("action", "")),
    )
    root = folder_root(_engine(state).settings)
    await service.change_route(db, principal, subscription_id, route_id, change, root)
    return see_other(f"/abonnements/{subscription_id}/zustellung")


@post(
    "/abonnements/{subscription_id:str}/routen/{route_id:int}/testzustellung",
    status_code=303,
)
async def test_delivery(
    db: DB,
    document_store: DocumentStore,
    principal: Caller,
    state: State,
    subscription_id: FromPath[str],
    route_id: FromPath[int],
) -> Redirect:
    await enqueue.probe(db, document_store, principal, subscription_id, route_id)
    _engine(state).wake()
    return see_other(f"/abonnements/{subscription_id}/zustellung")


@post(
    "/abonnements/{subscription_id:str}/auftraege/{outbox_id:int}/wiederholen",
    status_code=303,
)
async def retry(
    db: DB,
    principal: Caller,
    state: State,
    subscription_id: FromPath[str],
    outbox_id: FromPath[int],
) -> Redirect:
    await service.retry(db, principal, subscription_id, outbox_id)
    _engine(state).wake()
    return see_other(f"/abonnements/{subscription_id}/zustellung")


@get("/kommune/protokoll", name="transfer-log")
async def transfer_log_page(db: DB, principal: Caller) -> Template:
    caller = require_role(principal, Role.MUNICIPALITY_BUYER)
    ags = caller.municipality_ags or ""
    return page(
        "delivery/transfer_log.html",
        caller,
        ags=ags,
        entries=await service.recent_log(db, caller, ags, 200),
        undeliverable=await reroute.undeliverable(db, caller, ags, 100),
        subscriptions=await subscriptions.subscriptions(db, caller),
    )


@post("/kommune/nicht-zustellbar/{submission_id:str}/zuordnen", status_code=303)
async def reroute_submission(
    db: DB, principal: Caller, state: State, submission_id: FromPath[str]
) -> Redirect:
    caller = require_role(principal, Role.MUNICIPALITY_BUYER)
    await reroute.reroute(db, caller, caller.municipality_ags or "", submission_id)
    _engine(state).wake()
    return see_other("/kommune/protokoll")


@get("/kommune/einreichungen/{submission_id:str}/dokumente/{number:int}")
async def document_download(
    db: DB,
    document_store: DocumentStore,
    principal: Caller,
    submission_id: FromPath[str],
    number: FromPath[int],
) -> Response[bytes]:
    """Document ``number`` (from 1) of a submission of the own municipality; a
    body deleted after its retention answers 410 with the date, in German."""
    ref, content = await submission_document(
        db, document_store, principal, submission_id, number - 1
    )
    disposition = f'attachment; filename="{ref.document_id}"'
    return Response(
        content,
        media_type=ref.media_type,
        headers={"Content-Disposition": disposition},
    )


def _kind(value: str) -> Any:
    if value not in KIND_LABELS:
        raise InvalidInput(f"Unbekannte Anbindungsart „{value}“.")
    return value


def _settings(data: dict[str, str]) -> dict[str, Any]:
    """Fields ``setting.<name>``; empty ones are left out (defaults, kept secrets)."""
    prefix = "setting."
    return {
        key[len(prefix) :]: value.strip()
        for key, value in data.items()
        if key.startswith(prefix) and value.strip()
    }


router = Router(
    path="/",
    route_handlers=[
        delivery_page,
        add_route,
        change_route,
        test_delivery,
        retry,
        transfer_log_page,
        reroute_submission,
        document_download,
    ],
    include_in_schema=False,
)
