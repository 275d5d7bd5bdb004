"""HTTP routes of the subscription context (Open Service Broker style PUT)."""

from __future__ import annotations

from typing import Annotated

from litestar import Response, Router, delete, get, patch, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, PathParameter

from marketplace.dependencies import DB, Caller
from marketplace.subscriptions import service
from marketplace.subscriptions.schemas import (
    SUBSCRIPTION_ID_PATTERN,
    Subscription,
    SubscriptionIn,
    SubscriptionSettings,
)

# Chosen by the client (Open Service Broker instance id): letters, digits, hyphens.
SubscriptionKey = Annotated[
    str, PathParameter(pattern=SUBSCRIPTION_ID_PATTERN, min_length=3, max_length=64)
]


@put(
    "/subscriptions/{subscription_id:str}",
    summary="Abonnement anlegen (idempotent: 201 neu, 200 identisch, 409 Konflikt)",
    status_code=200,
    responses={
        201: ResponseSpec(
            Subscription, description="Neu angelegt", generate_examples=False
        )
    },
)
async def put_subscription(
    db: DB,
    principal: Caller,
    subscription_id: SubscriptionKey,
    data: JSONBody[SubscriptionIn],
) -> Response[Subscription]:
    found, created = await service.put_subscription(
        db, principal, subscription_id, data
    )
    return Response(found, status_code=201 if created else 200)


@get("/subscriptions", summary="Eigene Abonnements")
async def list_subscriptions(db: DB, principal: Caller) -> list[Subscription]:
    return await service.subscriptions(db, principal)


@get("/subscriptions/{subscription_id:str}", summary="Ein Abonnement")
async def get_subscription(
    db: DB, principal: Caller, subscription_id: SubscriptionKey
) -> Subscription:
    return await service.subscription(db, principal, subscription_id)


@patch("/subscriptions/{subscription_id:str}", summary="Einstellungen ändern")
async def change_settings(
    db: DB,
    principal: Caller,
    subscription_id: SubscriptionKey,
    data: JSONBody[SubscriptionSettings],
) -> Subscription:
    return await service.change_settings(db, principal, subscription_id, data)


@delete(
    "/subscriptions/{subscription_id:str}",
    summary="Abonnement beenden",
    status_code=200,
)
async def end_subscription(
    db: DB, principal: Caller, subscription_id: SubscriptionKey
) -> Subscription:
    return await service.end_subscription(db, principal, subscription_id)


router = Router(
    path="/api/v1",
    route_handlers=[
        put_subscription,
        list_subscriptions,
        get_subscription,
        change_settings,
        end_subscription,
    ],
    tags=["subscriptions"],
)
