"""Load the demo data set (``marketplace/demo/data/``) into a database, idempotently.

Everything goes through the same services as the API, as the marketplace
operator, so the demo data obeys every rule real data does. Running it again
adds nothing that is already there.
"""

from __future__ import annotations

import json
import logging
from importlib import resources
from typing import Any

import msgspec

from marketplace.catalog import repository as catalog_repository
from marketplace.catalog import service as catalog
from marketplace.catalog.schemas import (
    Land,
    MunicipalityIn,
    OfferIn,
    ProviderIn,
    ServiceIn,
)
from marketplace.contracts import service as contracts
from marketplace.contracts.schemas import ContractSettings
from marketplace.db import Database
from marketplace.errors import Conflict
from marketplace.identity import service as identity
from marketplace.identity.schemas import Principal, Role

log = logging.getLogger(__name__)

SEED_OPERATOR = Principal(
    user_id=0, login="demo-seed", display_name="Demo-Daten", role=Role.OPERATOR
)


def _data(name: str) -> Any:
    text = resources.files("marketplace.demo").joinpath("data", name).read_text()
    return json.loads(text) if name.endswith(".json") else text


async def seed_demo(db: Database) -> str:
    """Seed Länder, municipalities, providers, services, offers and demo accounts."""
    async with db.transaction() as conn:
        for land in _data("laender.json")["laender"]:
            await catalog_repository.upsert_land(conn, msgspec.convert(land, Land))
    created = {
        "Kommunen": await _each(
            db,
            "municipalities.json",
            "municipalities",
            MunicipalityIn,
            catalog.create_municipality,
        ),
        "Anbieter": await _each(
            db, "offers.json", "providers", ProviderIn, catalog.create_provider
        ),
        "Leistungen": await _each(
            db, "services.json", "services", ServiceIn, catalog.create_service
        ),
        "Angebote": await _offers(db),
        "Vertragsautomatiken": await _contract_automation(db),
        "Zugänge": await _accounts(db),
    }
    summary = ", ".join(f"{count} {what}" for what, count in created.items())
    return f"Demodaten geladen: {summary} neu angelegt."


async def _each(db: Database, file: str, key: str, kind: Any, create: Any) -> int:
    count = 0
    for raw in _data(file)[key]:
        try:
            await create(db, SEED_OPERATOR, msgspec.convert(raw, kind))
            count += 1
        except Conflict:
            continue
    return count


async def _offers(db: Database) -> int:
    template = _data("nachnutzungsvereinbarung.txt")
    count = 0
    for raw in _data("offers.json")["offers"]:
        fields = {
            k: v for k, v in raw.items() if k not in ("versions", "auto_contracting")
        }
        data = msgspec.convert({**fields, "contract_template": template}, OfferIn)
        try:
            offer = await catalog.create_offer(db, SEED_OPERATOR, data)
        except Conflict:
            continue
        await catalog.publish(db, SEED_OPERATOR, offer.id, 1)
        for number in range(2, raw["versions"] + 1):
            await catalog.add_version(
                db, SEED_OPERATOR, offer.id, _revised(data, number)
            )
            await catalog.publish(db, SEED_OPERATOR, offer.id, number)
        count += 1
    return count


def _revised(data: OfferIn, number: int) -> OfferIn:
    """A later version: the same offer with a note on what changed."""
    return msgspec.structs.replace(
        data,
        description=f"{data.description} Version {number}: erweiterte Nachweisprüfung.",
    )


async def _contract_automation(db: Database) -> int:
    """Providers that handle contracts automatically (offer and countersign)."""
    automated = {
        raw["provider_id"]
        for raw in _data("offers.json")["offers"]
        if raw.get("auto_contracting")
    }
    settings = ContractSettings(auto_offer=True, auto_countersign=True)
    for provider_id in sorted(automated):
        await contracts.save_settings(db, SEED_OPERATOR, provider_id, settings)
    return len(automated)


async def _accounts(db: Database) -> int:
    count = 0
    for raw in _data("accounts.json")["accounts"]:
        try:
            await identity.create_user(
                db,
                login=raw["login"],
                display_name=raw["display_name"],
                password=raw["password"],
                role=Role(raw["role"]),
                provider_id=raw.get("provider_id"),
                municipality_ags=raw.get("municipality_ags"),
            )
            count += 1
        except Conflict:
            continue
    return count
