"""HTTP routes of the catalog context: decode, call the service, encode."""

from __future__ import annotations

from typing import Annotated

from litestar import Router, get, post, put
from litestar.params import JSONBody, PathParameter, QueryParameter

from marketplace.catalog import service
from marketplace.catalog.schemas import (
    Land,
    Municipality,
    MunicipalityIn,
    Offer,
    OfferIn,
    OfferVersion,
    OfferVersionIn,
    Provider,
    ProviderIn,
    SearchPage,
    SearchQuery,
    Service,
    ServiceIn,
)
from marketplace.dependencies import DB, Caller
from marketplace.params import Id, Number

LandQuery = Annotated[str | None, QueryParameter(pattern=r"^(0[1-9]|1[0-6])$")]
Text = Annotated[str, QueryParameter(max_length=200)]
Limit = Annotated[int, QueryParameter(ge=1, le=500)]
Offset = Annotated[int, QueryParameter(ge=0, le=1_000_000)]
Page = Annotated[int, QueryParameter(ge=1, le=10_000)]
PerPage = Annotated[int, QueryParameter(ge=1, le=100)]
Maturity = Annotated[int | None, QueryParameter(ge=0, le=4)]
Facet = Annotated[str | None, QueryParameter(max_length=200)]
ProviderFilter = Annotated[str | None, QueryParameter(pattern=r"^[a-z0-9-]{2,40}$")]
ServiceFilter = Annotated[int | None, QueryParameter(ge=1)]
Leika = Annotated[str | None, QueryParameter(pattern=r"^99[0-9]{12}$")]
AgsPath = Annotated[str, PathParameter(pattern=r"^[0-9]{8}$")]
ProviderPath = Annotated[str, PathParameter(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]


@get("/laender", summary="Länder")
async def list_laender(db: DB) -> list[Land]:
    return await service.laender(db)


@get("/providers", summary="Anbieter")
async def list_providers(db: DB) -> list[Provider]:
    return await service.providers(db)


@get("/providers/{provider_id:str}", summary="Ein Anbieter")
async def get_provider(db: DB, provider_id: ProviderPath) -> Provider:
    return await service.provider(db, provider_id)


@post("/providers", summary="Anbieter anlegen (Marktplatzbetrieb)")
async def create_provider(
    db: DB, principal: Caller, data: JSONBody[ProviderIn]
) -> Provider:
    return await service.create_provider(db, principal, data)


@get("/municipalities", summary="Kommunen")
async def list_municipalities(
    db: DB,
    land: LandQuery = None,
    name_prefix: Text = "",
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[Municipality]:
    return await service.municipalities(
        db, land_code=land, prefix=name_prefix, limit=limit, offset=offset
    )


@get("/municipalities/{ags:str}", summary="Eine Kommune")
async def get_municipality(db: DB, ags: AgsPath) -> Municipality:
    return await service.municipality(db, ags)


@post("/municipalities", summary="Kommune anlegen (Marktplatzbetrieb)")
async def create_municipality(
    db: DB, principal: Caller, data: JSONBody[MunicipalityIn]
) -> Municipality:
    return await service.create_municipality(db, principal, data)


@get("/services", summary="EfA-Leistungen")
async def list_services(db: DB) -> list[Service]:
    return await service.services(db)


@get("/services/{service_id:int}", summary="Eine EfA-Leistung")
async def get_service(db: DB, service_id: Id) -> Service:
    return await service.service(db, service_id)


@post("/services", summary="EfA-Leistung anlegen (Marktplatzbetrieb)")
async def create_service(
    db: DB, principal: Caller, data: JSONBody[ServiceIn]
) -> Service:
    return await service.create_service(db, principal, data)


@get("/offers", summary="Angebote")
async def list_offers(
    db: DB,
    principal: Caller,
    provider: ProviderFilter = None,
    service_id: ServiceFilter = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[Offer]:
    return await service.offers(
        db,
        principal,
        provider_id=provider,
        service_id=service_id,
        limit=limit,
        offset=offset,
    )


@get("/offers/{offer_id:int}", summary="Ein Angebot mit seinen Versionen")
async def get_offer(db: DB, principal: Caller, offer_id: Id) -> Offer:
    return await service.offer(db, offer_id, principal)


@post("/offers", summary="Angebot anlegen (Version 1 als Entwurf)")
async def create_offer(db: DB, principal: Caller, data: JSONBody[OfferIn]) -> Offer:
    return await service.create_offer(db, principal, data)


@post("/offers/{offer_id:int}/versions", summary="Neue Version als Entwurf")
async def add_version(
    db: DB, principal: Caller, offer_id: Id, data: JSONBody[OfferVersionIn]
) -> OfferVersion:
    return await service.add_version(db, principal, offer_id, data)


@get("/offers/{offer_id:int}/versions/{number:int}", summary="Eine Version")
async def get_offer_version(
    db: DB, principal: Caller, offer_id: Id, number: Number
) -> OfferVersion:
    return await service.offer_version(db, principal, offer_id, number)


@put("/offers/{offer_id:int}/versions/{number:int}", summary="Entwurf bearbeiten")
async def update_draft(
    db: DB,
    principal: Caller,
    offer_id: Id,
    number: Number,
    data: JSONBody[OfferVersionIn],
) -> OfferVersion:
    return await service.update_draft(db, principal, offer_id, number, data)


@post(
    "/offers/{offer_id:int}/versions/{number:int}/publish",
    summary="Entwurf veröffentlichen (danach unveränderlich)",
    status_code=200,
)
async def publish_version(
    db: DB, principal: Caller, offer_id: Id, number: Number
) -> OfferVersion:
    return await service.publish(db, principal, offer_id, number)


@post(
    "/offers/{offer_id:int}/withdraw", summary="Angebot zurückziehen", status_code=200
)
async def withdraw_offer(db: DB, principal: Caller, offer_id: Id) -> Offer:
    return await service.withdraw(db, principal, offer_id)


@get("/offer-versions/{version_id:int}", summary="Eine veröffentlichte Angebotsversion")
async def get_version(db: DB, version_id: Id) -> OfferVersion:
    return await service.version(db, version_id)


@get("/catalog/search", summary="Katalogsuche mit Facetten")
async def search_catalog(
    db: DB,
    principal: Caller,
    q: Text = "",
    land: LandQuery = None,
    topic: Facet = None,
    life_situation: Facet = None,
    provider: ProviderFilter = None,
    maturity: Maturity = None,
    price_band: Facet = None,
    leika_key: Leika = None,
    page: Page = 1,
    per_page: PerPage = 20,
) -> SearchPage:
    query = SearchQuery(
        q=q,
        land=land,
        topic=topic,
        life_situation=life_situation,
        provider=provider,
        maturity=maturity,
        price_band=price_band,
        leika_key=leika_key,
        page=page,
        per_page=per_page,
    )
    return await service.search_catalog(db, principal, query)


router = Router(
    path="/api/v1",
    route_handlers=[
        list_laender,
        list_providers,
        get_provider,
        create_provider,
        list_municipalities,
        get_municipality,
        create_municipality,
        list_services,
        get_service,
        create_service,
        list_offers,
        get_offer,
        create_offer,
        add_version,
        get_offer_version,
        update_draft,
        publish_version,
        withdraw_offer,
        get_version,
        search_catalog,
    ],
    tags=["catalog"],
)
