"""HTTP routes of the cost context: the calculator and the distribution keys."""

from __future__ import annotations

from typing import Annotated

from litestar import Router, get, post
from litestar.params import JSONBody, QueryParameter

from marketplace.costs import keys, service
from marketplace.costs.schemas import DistributionKey, Quote, QuoteRequest
from marketplace.dependencies import DB
from marketplace.params import Id

AgsParam = Annotated[
    str, QueryParameter(pattern=r"^[0-9]{8}$", description="AGS, 8 Ziffern")
]
CasesParam = Annotated[
    int | None,
    QueryParameter(ge=0, le=100_000_000, description="Fälle/Jahr"),
]


@get("/offer-versions/{version_id:int}/quote", summary="Kosten einer Angebotsversion")
async def quote_offer_version(
    db: DB, version_id: Id, ags: AgsParam, expected_cases: CasesParam = None
) -> Quote:
    return await service.quote_offer_version(db, version_id, ags, expected_cases)


@post(
    "/costs/quote", summary="Kosten eines Kostenmodells ausprobieren", status_code=200
)
async def quote_cost_model(db: DB, data: JSONBody[QuoteRequest]) -> Quote:
    return await service.quote_model(db, data)


@get("/costs/keys", summary="Verteilungsschlüssel (Königsteiner Schlüssel)")
async def distribution_keys() -> list[DistributionKey]:
    return keys.describe_keys()


router = Router(
    path="/api/v1",
    route_handlers=[quote_offer_version, quote_cost_model, distribution_keys],
    tags=["costs"],
)
