"""Drafting a contract: the template rendered with the parties' data and the price
the cost model gives for this municipality, itemised to the cent."""

from __future__ import annotations

import msgspec

from marketplace.catalog.schemas import LEGAL_ROUTE_LABELS, LegalRoute
from marketplace.catalog.service import LAND_NAMES
from marketplace.contracts import repository
from marketplace.contracts.render import render, sha256_text
from marketplace.contracts.schemas import State
from marketplace.costs.schemas import CostModel, Quote
from marketplace.costs.service import Quoter
from marketplace.db import Connection, Row
from marketplace.errors import NotFound


async def quote_for(conn: Connection, offer: Row, ags: str, cases: int | None) -> Quote:
    model = msgspec.json.decode(offer["cost_model"], type=CostModel)
    quoter = await Quoter.for_municipality(conn, ags)
    return quoter.quote(model, expected_cases=cases)


async def contract_row(
    conn: Connection, offer: Row, ags: str, quote: Quote, now: str
) -> dict[str, object]:
    """The row of a new draft: the rendered text, its hash and the price."""
    municipality = await repository.municipality(conn, ags)
    if municipality is None:
        raise NotFound(f"Die Kommune mit dem Gemeindeschlüssel {ags} ist unbekannt.")
    text = render(
        offer["contract_template"],
        {
            "anbieter": offer["provider_name"],
            "kommune": municipality["name"],
            "ags": ags,
            "land": LAND_NAMES[municipality["land_code"]],
            "leistung": offer["service_title"],
            "leika": offer["leika_key"],
            "angebot": offer["title"],
            "version": str(offer["version"]),
            "veroeffentlicht": _german_date(offer["published_at"][:10]),
            "entgelt": price_text(quote),
            "kuendigungsfrist": str(offer["notice_period_months"]),
            "beschaffungsweg": LEGAL_ROUTE_LABELS[LegalRoute(offer["legal_route"])],
        },
    )
    return {
        "offer_version_id": offer["id"],
        "provider_id": offer["provider_id"],
        "municipality_ags": ags,
        "state": State.DRAFT.value,
        "text": text,
        "text_sha256": sha256_text(text),
        "annual_cents": quote.annual_cents,
        "first_year_cents": quote.first_year_cents,
        "quote": msgspec.json.encode(quote).decode(),
        "notice_period_months": offer["notice_period_months"],
        "created_at": now,
        "updated_at": now,
    }


def price_text(quote: Quote) -> str:
    """The itemised price as contract prose, exact to the cent."""
    lines = [
        f"– {item.label}: {_euro(item.annual_cents)} jährlich"
        + (f", einmalig {_euro(item.one_off_cents)}" if item.one_off_cents else "")
        + (
            f" (trägt das Land: {_euro(item.paid_by_land_cents)})"
            if item.paid_by_land_cents
            else ""
        )
        + f" – {item.explanation}"
        for item in quote.items
    ]
    lines.append(
        f"Jährliches Entgelt: {_euro(quote.annual_cents)}; im ersten Jahr einschließlich "
        f"einmaliger Kosten: {_euro(quote.first_year_cents)}."
    )
    return "\n".join(lines)


def _german_date(iso: str) -> str:
    """2026-11-23 -> 23.11.2026"""
    year, month, day = iso.split("-")
    return f"{day}.{month}.{year}"


def _euro(cents: int) -> str:
    whole, rest = divmod(cents, 100)
    return f"{whole:,}".replace(",", ".") + f",{rest:02d} €"
