"""HTTP routes of the delivery context: routes of a subscription, submissions,
the outbox with dead letters and retry, and the municipality's transfer log."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated

import msgspec
from litestar import Response, Router, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, PathParameter, QueryParameter
from litestar.response import Stream

from marketplace.delivery import enqueue, export, reroute, service
from marketplace.delivery.engine import DeliveryEngine
from marketplace.delivery.schemas import (
    OutboxItem,
    OutboxState,
    Route,
    RouteChange,
    RouteIn,
    SubmissionIn,
    SubmissionOut,
    TransferLogPage,
)
from marketplace.dependencies import DB, Caller, DocumentStore
from marketplace.params import Id
from marketplace.settings import Settings
from marketplace.subscriptions.routes import SubscriptionKey

# Online submissions carry their documents base64-encoded in JSON.
MAX_SUBMISSION_BODY = 64 * 1024 * 1024

Ags = Annotated[str, PathParameter(pattern=r"^\d{8}$")]
SubmissionKey = Annotated[str, PathParameter(pattern=r"^d-[0-9a-f]{24}$")]
Limit = Annotated[int, QueryParameter(ge=1, le=1000)]
After = Annotated[int, QueryParameter(ge=0, le=2**53)]
StateFilter = Annotated[OutboxState | None, QueryParameter(name="state")]
Engine = NamedDependency[DeliveryEngine]


def provide_engine(state: State) -> DeliveryEngine:
    engine: DeliveryEngine = state.delivery
    return engine


def folder_root(settings: Settings) -> Path:
    """Drop folder routes write only below this folder."""
    if settings.delivery_folder_root:
        return Path(settings.delivery_folder_root)
    return settings.db_path.parent / "ablage"


@get("/subscriptions/{subscription_id:str}/routes", summary="Routen eines Abonnements")
async def list_routes(
    db: DB, principal: Caller, engine: Engine, subscription_id: SubscriptionKey
) -> list[Route]:
    return await service.routes(db, principal, subscription_id, engine.breaker)


@post("/subscriptions/{subscription_id:str}/routes", summary="Route anlegen")
async def add_route(
    db: DB,
    principal: Caller,
    engine: Engine,
    subscription_id: SubscriptionKey,
    data: JSONBody[RouteIn],
) -> Route:
    root = folder_root(engine.settings)
    return await service.add_route(db, principal, subscription_id, data, root)


@patch(
    "/subscriptions/{subscription_id:str}/routes/{route_id:int}",
    summary="Route ändern, aktivieren oder deaktivieren",
)
async def change_route(
    db: DB,
    principal: Caller,
    engine: Engine,
    subscription_id: SubscriptionKey,
    route_id: Id,
    data: JSONBody[RouteChange],
) -> Route:
    root = folder_root(engine.settings)
    return await service.change_route(
        db, principal, subscription_id, route_id, data, root
    )


@post(
    "/subscriptions/{subscription_id:str}/routes/{route_id:int}/test-delivery",
    summary="Testzustellung an diese Route (als Test gekennzeichnet)",
    status_code=202,
)
async def test_delivery(
    db: DB,
    document_store: DocumentStore,
    principal: Caller,
    engine: Engine,
    subscription_id: SubscriptionKey,
    route_id: Id,
) -> SubmissionOut:
    found = await enqueue.probe(
        db, document_store, principal, subscription_id, route_id
    )
    engine.wake()
    return found


@post(
    "/subscriptions/{subscription_id:str}/submissions",
    summary="Online-Einreichung zustellen (201 neu, 200 bereits bekannt)",
    status_code=200,
    request_max_body_size=MAX_SUBMISSION_BODY,
)
async def submit(
    db: DB,
    document_store: DocumentStore,
    principal: Caller,
    engine: Engine,
    subscription_id: SubscriptionKey,
    data: JSONBody[SubmissionIn],
) -> Response[SubmissionOut]:
    found, created = await enqueue.submit(
        db, document_store, principal, subscription_id, data
    )
    engine.wake()
    return Response(found, status_code=201 if created else 200)


@get(
    "/subscriptions/{subscription_id:str}/submissions/{submission_id:str}",
    summary="Eine Einreichung und ihre Zustellaufträge",
)
async def get_submission(
    db: DB,
    principal: Caller,
    subscription_id: SubscriptionKey,
    submission_id: SubmissionKey,
) -> SubmissionOut:
    return await enqueue.submission(db, principal, subscription_id, submission_id)


@get(
    "/subscriptions/{subscription_id:str}/outbox",
    summary="Zustellaufträge (Postausgang), auch unzustellbare",
)
async def list_outbox(
    db: DB,
    principal: Caller,
    subscription_id: SubscriptionKey,
    status: StateFilter = None,
    limit: Limit = 100,
) -> list[OutboxItem]:
    states = (status,) if status else tuple(OutboxState)
    return await service.outbox(db, principal, subscription_id, states, limit)


@post(
    "/subscriptions/{subscription_id:str}/outbox/{outbox_id:int}/retry",
    summary="Unzustellbaren Auftrag erneut versuchen",
    status_code=200,
)
async def retry(
    db: DB,
    principal: Caller,
    engine: Engine,
    subscription_id: SubscriptionKey,
    outbox_id: Id,
) -> OutboxItem:
    found = await service.retry(db, principal, subscription_id, outbox_id)
    engine.wake()
    return found


@get("/municipalities/{ags:str}/transfer-log", summary="Protokoll der Übermittlungen")
async def transfer_log(
    db: DB, principal: Caller, ags: Ags, after: After = 0, limit: Limit = 100
) -> TransferLogPage:
    return await service.transfer_log(db, principal, ags, after=after, limit=limit)


@get(
    "/municipalities/{ags:str}/transfer-log/export.csv",
    summary="Protokoll der Übermittlungen als CSV",
    media_type="text/csv",
)
async def export_csv(db: DB, principal: Caller, ags: Ags) -> Stream:
    service.require_own_municipality(principal, ags)
    return _download(
        export.csv_lines(db, ags), "text/csv", f"uebermittlungen-{ags}.csv"
    )


@get(
    "/municipalities/{ags:str}/transfer-log/export.jsonl",
    summary="Protokoll der Übermittlungen als JSON Lines",
    media_type="application/jsonl",
)
async def export_jsonl(db: DB, principal: Caller, ags: Ags) -> Stream:
    service.require_own_municipality(principal, ags)
    return _download(
        export.jsonl(db, ags), "application/jsonl", f"uebermittlungen-{ags}.jsonl"
    )


def _download(body: AsyncIterator[bytes], media_type: str, name: str) -> Stream:
    return Stream(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@get(
    "/municipalities/{ags:str}/undeliverable",
    summary="Nicht zustellbare Einreichungen (meist gescannte Post) mit Grund",
)
async def list_undeliverable(
    db: DB, principal: Caller, ags: Ags, limit: Limit = 100
) -> list[SubmissionOut]:
    found = await reroute.undeliverable(db, principal, ags, limit)
    return [msgspec.convert(row, SubmissionOut, strict=False) for row in found]


@post(
    "/municipalities/{ags:str}/undeliverable/{submission_id:str}/reroute",
    summary="Nicht zustellbare Einreichung neu zuordnen",
    status_code=200,
)
async def reroute_submission(
    db: DB, principal: Caller, engine: Engine, ags: Ags, submission_id: SubmissionKey
) -> SubmissionOut:
    found = await reroute.reroute(db, principal, ags, submission_id)
    engine.wake()
    return found


router = Router(
    path="/api/v1",
    route_handlers=[
        list_routes,
        add_route,
        change_route,
        test_delivery,
        submit,
        get_submission,
        list_outbox,
        retry,
        transfer_log,
        export_csv,
        export_jsonl,
        list_undeliverable,
        reroute_submission,
    ],
    dependencies={"engine": Provide(provide_engine, sync_to_thread=False)},
    tags=["delivery"],
)
