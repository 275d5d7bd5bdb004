"""Dashboards: a municipality's contracts, subscriptions and yearly cost; a
provider's offers, subscribers and revenue by cost component."""

from __future__ import annotations

from collections import defaultdict

from litestar import get
from litestar.response import Template

from marketplace.catalog import service as catalog
from marketplace.contracts import service as contracts
from marketplace.contracts.schemas import Contract, State
from marketplace.dependencies import DB, Caller
from marketplace.identity.schemas import Role
from marketplace.identity.service import require_role
from marketplace.subscriptions import service as subscriptions
from marketplace.web.pages import page

RUNNING = (State.ACTIVE, State.COUNTERSIGNED)


@get("/kommune", name="municipality-dashboard")
async def municipality_dashboard(db: DB, principal: Caller) -> Template:
    caller = require_role(principal, Role.MUNICIPALITY_BUYER)
    own = await contracts.contracts(db, caller)
    running = [c for c in own if c.state in RUNNING]
    return page(
        "dashboard_municipality.html",
        caller,
        municipality=await catalog.municipality(db, caller.municipality_ags or ""),
        contracts=own,
        subscriptions=await subscriptions.subscriptions(db, caller),
        yearly_cents=sum(c.annual_cents for c in running),
        first_year_cents=sum(c.first_year_cents for c in running),
    )


@get("/anbieter", name="provider-dashboard")
async def provider_dashboard(db: DB, principal: Caller) -> Template:
    caller = require_role(principal, Role.PROVIDER_ADMIN)
    provider_id = caller.provider_id or ""
    own = await contracts.contracts(db, caller)
    return page(
        "dashboard_provider.html",
        caller,
        provider=await catalog.provider(db, provider_id),
        offers=await catalog.offers(db, caller, provider_id=provider_id),
        contracts=own,
        waiting=[c for c in own if contracts.allowed_actions(c, caller)],
        subscriptions=await subscriptions.subscriptions(db, caller),
        revenue=revenue_by_component(own),
        settings=await contracts.settings(db, provider_id),
    )


def revenue_by_component(own: list[Contract]) -> list[tuple[str, str, int, int]]:
    """(kind, label, annual cents, one-off cents) summed over active contracts."""
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for found in own:
        if found.state not in RUNNING:
            continue
        for item in found.quote.items:
            totals[(item.kind, item.label)][0] += item.annual_cents
            totals[(item.kind, item.label)][1] += item.one_off_cents
    return [(kind, label, a, o) for (kind, label), (a, o) in sorted(totals.items())]
