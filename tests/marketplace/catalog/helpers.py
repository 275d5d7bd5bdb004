"""Helpers of the catalog tests: row counts and valid request bodies."""

from __future__ import annotations

from typing import Any

from marketplace.db import Database


async def count(db: Database, table: str) -> int:
    async with db.read() as conn, conn.execute(f"SELECT COUNT(*) FROM {table}") as cur:  # noqa: S608
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def counts(db: Database, *tables: str) -> dict[str, int]:
    return {table: await count(db, table) for table in tables}


CATALOG_TABLES = (
    "laender",
    "providers",
    "municipalities",
    "services",
    "service_life_situations",
    "offers",
    "offer_versions",
    "catalog_current",
    "catalog_fts",
    "catalog_words",
)


def offer_body(**changes: Any) -> dict[str, Any]:
    """A valid new offer for the demo's Bewohnerparkausweis (illustrative LeiKa)."""
    body: dict[str, Any] = {
        "leika_key": "99990000001000",
        "title": "Bewohnerparken Nord",
        "description": "Betrieb als SaaS.",
        "legal_route": "direct",
        "cost_model": {
            "components": [
                {"kind": "annual_flat", "label": "Betrieb", "amount_cents": 100_000}
            ]
        },
        "contract_template": "Vereinbarung zwischen {{anbieter}} und {{kommune}}.",
    }
    body.update(changes)
    return body


def version_body(**changes: Any) -> dict[str, Any]:
    """A valid offer version (an offer body without the offer's own fields)."""
    body = {k: v for k, v in offer_body().items() if k not in ("leika_key",)}
    body.update(changes)
    return body
