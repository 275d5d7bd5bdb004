"""Catalog pages: search with facets, a service with its offers and the cost
calculator, offers side by side, one offer version."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar import get
from litestar.datastructures import State
from litestar.params import FromPath, QueryParameter
from litestar.response import Template

from marketplace.catalog import service as catalog
from marketplace.catalog.schemas import LEGAL_ROUTE_LABELS, SearchQuery
from marketplace.contracts.render import PLACEHOLDERS
from marketplace.costs.schemas import Quote
from marketplace.costs.service import Quoter
from marketplace.dependencies import DB, Caller
from marketplace.federation.service import stale_nodes
from marketplace.identity.schemas import Principal
from marketplace.web.pages import page

Text = Annotated[str, QueryParameter(max_length=200)]
Facet = Annotated[str | None, QueryParameter(max_length=200)]
Maturity = Annotated[int | None, QueryParameter(ge=0, le=4)]
PageNo = Annotated[int, QueryParameter(ge=1, le=10_000)]
Ags = Annotated[str | None, QueryParameter(pattern=r"^[0-9]{8}$")]
Cases = Annotated[int | None, QueryParameter(ge=0, le=100_000_000)]
FACET_TITLES = {
    "land": "Land",
    "topic": "Themenfeld",
    "life_situation": "Lebenslage",
    "provider": "Anbieter",
    "maturity": "Reifegrad",
    "price_band": "Richtpreis pro Jahr",
}


@get("/", name="catalog")
async def catalog_page(
    db: DB,
    principal: Caller,
    state: State,
    q: Text = "",
    land: Facet = None,
    topic: Facet = None,
    life_situation: Facet = None,
    provider: Facet = None,
    maturity: Maturity = None,
    price_band: Facet = None,
    seite: PageNo = 1,
) -> Template:
    filters = {
        "land": land,
        "topic": topic,
        "life_situation": life_situation,
        "provider": provider,
        "maturity": maturity,
        "price_band": price_band,
    }
    query = SearchQuery(q=q, page=seite, per_page=20, **filters)  # type: ignore[arg-type]
    result = await catalog.search_catalog(db, principal, query)
    active = {k: str(v) for k, v in filters.items() if v is not None}
    return page(
        "catalog.html",
        principal,
        result=result,
        q=q,
        active=active,
        facet_titles=FACET_TITLES,
        routes=LEGAL_ROUTE_LABELS,
        unconfirmed=await _unconfirmed(db, state),
    )


@get("/leistungen/{service_id:int}", name="service")
async def service_page(
    db: DB,
    principal: Caller,
    service_id: FromPath[int],
    ags: Ags = None,
    faelle: Cases = None,
) -> Template:
    context = await _offers_with_quotes(db, principal, service_id, ags, faelle)
    return page("service.html", principal, **context)


@get("/leistungen/{service_id:int}/vergleich", name="compare")
async def compare_page(
    db: DB,
    principal: Caller,
    service_id: FromPath[int],
    ags: Ags = None,
    faelle: Cases = None,
) -> Template:
    context = await _offers_with_quotes(db, principal, service_id, ags, faelle)
    return page("compare.html", principal, **context)


@get("/angebote/{version_id:int}", name="offer-version")
async def offer_version_page(
    db: DB, principal: Caller, state: State, version_id: FromPath[int], ags: Ags = None
) -> Template:
    version = await catalog.version(db, version_id)
    offer = await catalog.offer(db, version.offer_id, principal)
    chosen = _chosen_ags(principal, ags)
    quote = await _quote(db, chosen, version.cost_model) if chosen else None
    return page(
        "offer.html",
        principal,
        offer=offer,
        version=version,
        quote=quote,
        ags=chosen,
        routes=LEGAL_ROUTE_LABELS,
        placeholders=PLACEHOLDERS,
        unconfirmed=await _unconfirmed(db, state),
    )


async def _unconfirmed(db: Any, state: State) -> set[str]:
    """Nodes not heard from for a while: their offers are "derzeit nicht bestätigt"."""
    return await stale_nodes(db, state.settings.federation_stale_after)


async def _offers_with_quotes(
    db: Any,
    principal: Principal | None,
    service_id: int,
    ags: str | None,
    cases: int | None,
) -> dict[str, Any]:
    service = await catalog.service(db, service_id)
    offers = [
        o
        for o in await catalog.offers(db, principal, service_id=service_id)
        if o.current
    ]
    chosen = _chosen_ags(principal, ags)
    quotes: dict[int, Quote] = {}
    if chosen:
        async with db.read() as conn:
            quoter = await Quoter.for_municipality(conn, chosen)
        for offer in offers:
            current = offer.current
            if current is not None:
                quotes[offer.id] = quoter.quote(
                    current.cost_model, expected_cases=cases
                )
    municipality = await catalog.municipality(db, chosen) if chosen else None
    return {
        "service": service,
        "offers": offers,
        "quotes": quotes,
        "ags": chosen,
        "cases": cases,
        "municipality": municipality,
        "municipalities": await catalog.municipalities(
            db, land_code=None, prefix="", limit=500, offset=0
        ),
        "routes": LEGAL_ROUTE_LABELS,
    }


def _chosen_ags(principal: Principal | None, ags: str | None) -> str | None:
    """An explicit choice wins; a logged-in municipality defaults to itself."""
    if ags:
        return ags
    return principal.municipality_ags if principal else None


async def _quote(db: Any, ags: str, model: Any) -> Quote:
    async with db.read() as conn:
        quoter = await Quoter.for_municipality(conn, ags)
    return msgspec.convert(quoter.quote(model), Quote)
