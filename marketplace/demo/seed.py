"""Load the demo data set (``marketplace/demo/data/``) into a database, idempotently.

Everything goes through the same services as the API, as the marketplace
operator, so the demo data obeys every rule real data does. Running it again
changes nothing; after an interrupted run it completes what is missing (an offer
whose versions were not all published yet, for example).

Entries may carry a ``source`` field (``"illustrative"`` where a figure or key is
not the official one); it documents the data and is not loaded.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any, TypeVar

import msgspec

from marketplace.catalog import repository as catalog_repository
from marketplace.catalog import service as catalog
from marketplace.catalog.schemas import (
    Land,
    MunicipalityIn,
    Offer,
    OfferIn,
    ProviderIn,
    ServiceIn,
)
from marketplace.contracts import service as contracts
from marketplace.contracts.schemas import ContractSettings
from marketplace.db import Database
from marketplace.errors import Conflict
from marketplace.identity import repository as identity_repository
from marketplace.identity import service as identity
from marketplace.identity.schemas import Principal, Role

log = logging.getLogger(__name__)

SEED_OPERATOR = Principal(
    user_id=0, login="demo-seed", display_name="Demo-Daten", role=Role.OPERATOR
)
_NOT_LOADED = ("source", "note", "versions", "auto_contracting")
In = TypeVar("In")


def _data(name: str) -> Any:
    text = resources.files("marketplace.demo").joinpath("data", name).read_text()
    return json.loads(text) if name.endswith(".json") else text


def _entry(raw: dict[str, Any], kind: type[In], **extra: Any) -> In:
    fields = {k: v for k, v in raw.items() if k not in _NOT_LOADED}
    return msgspec.convert({**fields, **extra}, kind)


async def seed_demo(db: Database) -> str:
    """Seed Länder, municipalities, providers, services, offers and demo accounts;
    return a German summary of what was new."""
    async with db.transaction() as conn:
        for land in _data("laender.json")["laender"]:
            await catalog_repository.upsert_land(conn, _entry(land, Land))
    created = {
        "Kommunen": await _each(
            _data("municipalities.json")["municipalities"],
            MunicipalityIn,
            lambda data: catalog.create_municipality(db, SEED_OPERATOR, data),
        ),
        "Anbieter": await _each(
            _data("offers.json")["providers"],
            ProviderIn,
            lambda data: catalog.create_provider(db, SEED_OPERATOR, data),
        ),
        "Leistungen": await _each(
            _data("services.json")["services"],
            ServiceIn,
            lambda data: catalog.create_service(db, SEED_OPERATOR, data),
        ),
        "Angebotsversionen": await _offers(db),
        "Vertragsautomatiken": await _contract_automation(db),
        "Zugänge": await _accounts(db),
    }
    summary = ", ".join(f"{count} {what}" for what, count in created.items())
    log.info("demo data: %s", summary)
    return f"Demodaten geladen: {summary} neu angelegt."


async def _each(
    entries: list[dict[str, Any]],
    kind: type[In],
    create: Callable[[In], Awaitable[object]],
) -> int:
    """Create each entry; one that exists already (Conflict) is left as it is."""
    count = 0
    for raw in entries:
        try:
            await create(_entry(raw, kind))
        except Conflict:
            continue
        count += 1
    return count


async def _offers(db: Database) -> int:
    """Each offer with its published versions; returns how many were published."""
    template = _data("nachnutzungsvereinbarung.txt")
    published = 0
    for raw in _data("offers.json")["offers"]:
        data = _entry(raw, OfferIn, contract_template=template)
        offer = await _existing_offer(db, data) or await catalog.create_offer(
            db, SEED_OPERATOR, data
        )
        numbers = {v.version: v.status for v in offer.versions}
        for number in range(1, raw["versions"] + 1):
            if numbers.get(number) == "published":
                continue
            if number not in numbers:
                await catalog.add_version(
                    db, SEED_OPERATOR, offer.id, _revised(data, number)
                )
            await catalog.publish(db, SEED_OPERATOR, offer.id, number)
            published += 1
    return published


async def _existing_offer(db: Database, data: OfferIn) -> Offer | None:
    service_id = await _service_id(db, data.leika_key)
    if service_id is None:
        return None
    found = await catalog.offers(
        db, SEED_OPERATOR, provider_id=data.provider_id, service_id=service_id
    )
    return found[0] if found else None


async def _service_id(db: Database, leika_key: str) -> int | None:
    async with db.read() as conn:
        return await catalog_repository.service_id_for_leika(conn, leika_key)


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
    wanted = ContractSettings(auto_offer=True, auto_countersign=True)
    changed = 0
    for provider_id in sorted(automated):
        if await contracts.settings(db, provider_id) != wanted:
            await contracts.save_settings(db, SEED_OPERATOR, provider_id, wanted)
            changed += 1
    return changed


async def _accounts(db: Database) -> int:
    count = 0
    for raw in _data("accounts.json")["accounts"]:
        async with db.read() as conn:
            if await identity_repository.login_exists(conn, raw["login"]):
                continue
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
    return count
