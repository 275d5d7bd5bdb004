"""Catalog rules: who may add what, offer versioning, and search with prices."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TypeVar
from weakref import WeakKeyDictionary

import msgspec

from marketplace.catalog import repository, rules
from marketplace.catalog.rules import LAND_NAMES as LAND_NAMES  # used by contracts
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
from marketplace.catalog.search_cache import SearchCache
from marketplace.contracts.render import check_template
from marketplace.costs.service import Quoter, validate_cost_model
from marketplace.db import Connection, Database, Row
from marketplace.errors import Conflict, InvalidInput, NotFound
from marketplace.identity.schemas import Principal, Role
from marketplace.identity.service import require_provider, require_role

T = TypeVar("T")
log = logging.getLogger(__name__)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


# Reading ---------------------------------------------------------------------------


async def laender(db: Database) -> list[Land]:
    async with db.read() as conn:
        return await repository.list_laender(conn)


async def providers(db: Database) -> list[Provider]:
    async with db.read() as conn:
        return await repository.list_providers(conn)


async def provider(db: Database, provider_id: str) -> Provider:
    async with db.read() as conn:
        found = await repository.get_provider(conn, provider_id)
    if found is None:
        raise NotFound(f"Den Anbieter „{provider_id}“ gibt es nicht.")
    return found


async def municipalities(
    db: Database, *, land_code: str | None, prefix: str, limit: int, offset: int
) -> list[Municipality]:
    async with db.read() as conn:
        return await repository.list_municipalities(
            conn, land_code=land_code, prefix=prefix, limit=limit, offset=offset
        )


async def municipality(db: Database, ags: str) -> Municipality:
    async with db.read() as conn:
        found = await repository.get_municipality(conn, ags)
    if found is None:
        raise NotFound(f"Die Kommune mit dem Gemeindeschlüssel {ags} ist unbekannt.")
    return found


async def services(db: Database) -> list[Service]:
    async with db.read() as conn:
        return await repository.list_services(conn)


async def service(db: Database, service_id: int) -> Service:
    async with db.read() as conn:
        found = await repository.get_service(conn, service_id)
    if found is None:
        raise NotFound(f"Die Leistung {service_id} gibt es nicht.")
    return found


async def offer(db: Database, offer_id: int, principal: Principal | None) -> Offer:
    """An offer with its versions; drafts only for the provider and the operator."""
    async with db.read() as conn:
        found = await repository.get_offer(conn, offer_id)
    if found is None or not _may_see(found, principal):
        raise NotFound(f"Das Angebot {offer_id} gibt es nicht.")
    return found if _is_owner(found, principal) else _published_only(found)


async def offers(
    db: Database,
    principal: Principal | None,
    *,
    provider_id: str | None = None,
    service_id: int | None = None,
    limit: int = 1000,
    offset: int = 0,
) -> list[Offer]:
    """Offers in the catalog, by id; a provider also sees its drafts and withdrawn
    offers. The API asks for pages of 100 (at most 500); the web pages calling this
    directly get up to ``limit`` offers at once."""
    which = repository.OfferFilter(
        provider_id=provider_id, service_id=service_id, viewer=_viewer(principal)
    )
    async with db.read() as conn:
        found = await repository.load_offers(conn, which, limit=limit, offset=offset)
    return [o if _is_owner(o, principal) else _published_only(o) for o in found]


def _viewer(principal: Principal | None) -> str | None:
    if principal is not None and principal.role is Role.OPERATOR:
        return repository.ALL
    if principal is not None and principal.role is Role.PROVIDER_ADMIN:
        return principal.provider_id
    return None


def _published_only(found: Offer) -> Offer:
    published = [v for v in found.versions if v.status == "published"]
    return msgspec.structs.replace(found, versions=published)


async def offer_version(
    db: Database, principal: Principal | None, offer_id: int, number: int
) -> OfferVersion:
    """One version of an offer by its number; drafts only for the owner."""
    found = await offer(db, offer_id, principal)
    return _find_version(found.versions, number)


async def version(db: Database, version_id: int) -> OfferVersion:
    async with db.read() as conn:
        found = await repository.get_version(conn, version_id)
    if found is None or found.status != "published":
        raise NotFound(f"Die Angebotsversion {version_id} gibt es nicht.")
    return found


def _is_owner(found: Offer, principal: Principal | None) -> bool:
    if principal is None:
        return False
    if principal.role is Role.OPERATOR:
        return True
    return principal.provider_id == found.provider.id


def _may_see(found: Offer, principal: Principal | None) -> bool:
    if _is_owner(found, principal):
        return True
    return found.withdrawn_at is None and any(
        v.status == "published" for v in found.versions
    )


# Writing ---------------------------------------------------------------------------


async def create_provider(
    db: Database, principal: Principal | None, data: ProviderIn
) -> Provider:
    require_role(principal, Role.OPERATOR)
    async with db.transaction() as conn:
        if await repository.get_provider(conn, data.id):
            raise Conflict(f"Die Anbieterkennung „{data.id}“ ist bereits vergeben.")
        await _require_land(conn, data.land_code)
        await repository.insert_provider(conn, data, _now())
        created = await repository.get_provider(conn, data.id)
    return _created(created)


async def create_municipality(
    db: Database, principal: Principal | None, data: MunicipalityIn
) -> Municipality:
    require_role(principal, Role.OPERATOR)
    rules.validate_municipality(data)
    async with db.transaction() as conn:
        land = await repository.get_land(conn, data.ags[:2])
        if land is None:
            raise InvalidInput(f"Das Land {data.ags[:2]} ist nicht erfasst.")
        if data.population > land.population:
            raise InvalidInput(
                f"{data.population} Einwohner sind mehr, als {land.name} hat "
                f"({land.population}); bitte prüfen Sie die Einwohnerzahl."
            )
        if await repository.get_municipality(conn, data.ags):
            raise Conflict(f"Die Kommune {data.ags} ist bereits erfasst.")
        await repository.insert_municipality(conn, data)
        created = await repository.get_municipality(conn, data.ags)
    return _created(created)


async def create_service(
    db: Database, principal: Principal | None, data: ServiceIn
) -> Service:
    require_role(principal, Role.OPERATOR)
    async with db.transaction() as conn:
        if await repository.service_id_for_leika(conn, data.leika_key):
            raise Conflict(f"Die Leistung {data.leika_key} ist bereits erfasst.")
        service_id = await repository.insert_service(conn, data, _now())
        created = await repository.get_service(conn, service_id)
    return _created(created)


async def create_offer(
    db: Database, principal: Principal | None, data: OfferIn
) -> Offer:
    """A provider's new offer for a service; its first version starts as a draft."""
    provider_id = _acting_provider(principal, data.provider_id)
    validate_cost_model(data.cost_model)
    check_template(data.contract_template)
    async with db.transaction() as conn:
        await _require_land(conn, data.land_code)
        service_id = await repository.service_id_for_leika(conn, data.leika_key)
        if service_id is None:
            raise InvalidInput(f"Die Leistung {data.leika_key} ist nicht im Katalog.")
        if await repository.get_provider(conn, provider_id) is None:
            raise InvalidInput(f"Den Anbieter „{provider_id}“ gibt es nicht.")
        home = await repository.provider_home(conn, provider_id)
        if home is not None:
            raise Conflict(_FOREIGN.format(node=home))
        if await repository.offer_for(conn, provider_id, service_id):
            raise Conflict(
                "Für diese Leistung gibt es bereits ein Angebot dieses Anbieters; "
                "legen Sie dort eine neue Version an."
            )
        offer_id = await repository.insert_offer(
            conn, provider_id=provider_id, service_id=service_id, now=_now()
        )
        await repository.insert_version(
            conn, offer_id=offer_id, version=1, data=data, now=_now()
        )
        created = await repository.get_offer(conn, offer_id)
    return _created(created)


async def add_version(
    db: Database, principal: Principal | None, offer_id: int, data: OfferVersionIn
) -> OfferVersion:
    """A new draft version; published versions stay as they are."""
    validate_cost_model(data.cost_model)
    check_template(data.contract_template)
    async with db.transaction() as conn:
        await _owned_offer(conn, principal, offer_id)
        await _require_land(conn, data.land_code)
        versions = await repository.versions_of(conn, offer_id)
        if any(v.status == "draft" for v in versions):
            raise Conflict(
                "Es gibt bereits einen Entwurf; bearbeiten oder veröffentlichen Sie ihn."
            )
        version_id = await repository.insert_version(
            conn, offer_id=offer_id, version=len(versions) + 1, data=data, now=_now()
        )
        return _created(await repository.get_version(conn, version_id))


async def update_draft(
    db: Database,
    principal: Principal | None,
    offer_id: int,
    number: int,
    data: OfferVersionIn,
) -> OfferVersion:
    validate_cost_model(data.cost_model)
    check_template(data.contract_template)
    async with db.transaction() as conn:
        await _owned_offer(conn, principal, offer_id)
        target = _find_version(await repository.versions_of(conn, offer_id), number)
        if target.status != "draft":
            raise Conflict(
                f"Version {number} ist veröffentlicht und unveränderlich; "
                "legen Sie eine neue Version an."
            )
        await _require_land(conn, data.land_code)
        await repository.update_draft(conn, target.id, data)
        return _created(await repository.get_version(conn, target.id))


async def publish(
    db: Database, principal: Principal | None, offer_id: int, number: int
) -> OfferVersion:
    """Publish a draft: it becomes immutable and the offer's searchable version."""
    async with db.transaction() as conn:
        head = await _owned_offer(conn, principal, offer_id)
        if head["withdrawn_at"] is not None:
            raise Conflict("Das Angebot ist zurückgezogen.")
        target = _find_version(await repository.versions_of(conn, offer_id), number)
        if target.status != "draft":
            raise Conflict(f"Version {number} ist bereits veröffentlicht.")
        reference = (await Quoter.for_reference(conn)).quote(target.cost_model)
        await repository.mark_published(
            conn, target.id, now=_now(), reference_annual_cents=reference.annual_cents
        )
        await repository.set_current(conn, offer_id, target.id)
        return _created(await repository.get_version(conn, target.id))


async def withdraw(db: Database, principal: Principal | None, offer_id: int) -> Offer:
    """Take an offer out of the catalog; signed contracts keep their version."""
    async with db.transaction() as conn:
        await _owned_offer(conn, principal, offer_id)
        await repository.mark_withdrawn(conn, offer_id, _now())
        await repository.remove_current(conn, offer_id)
        return _created(await repository.get_offer(conn, offer_id))


def _acting_provider(principal: Principal | None, named: str | None) -> str:
    caller = require_role(principal, Role.PROVIDER_ADMIN, Role.OPERATOR)
    if caller.role is Role.OPERATOR:
        if not named:
            raise InvalidInput("Bitte geben Sie den Anbieter an (provider_id).")
        return named
    own = caller.provider_id or ""
    require_provider(caller, named or own)
    return own


async def _owned_offer(
    conn: Connection, principal: Principal | None, offer_id: int
) -> Row:
    head = await repository.offer_head(conn, offer_id)
    if head is None:
        raise NotFound(f"Das Angebot {offer_id} gibt es nicht.")
    require_provider(principal, head["provider_id"])
    if head["home_node"] is not None:
        raise Conflict(_FOREIGN.format(node=head["home_node"]))
    return head


# Federation: another node's offers are replicas; only their home node changes them.
_FOREIGN = (
    "Dieses Angebot wird vom Marktplatzknoten „{node}“ verwaltet und ist hier nur "
    "lesbar; Änderungen nimmt der Anbieter dort vor."
)


def _find_version(versions: list[OfferVersion], number: int) -> OfferVersion:
    for candidate in versions:
        if candidate.version == number:
            return candidate
    raise NotFound(f"Die Version {number} dieses Angebots gibt es nicht.")


async def _require_land(conn: Connection, code: str | None) -> None:
    if code is not None and not await repository.land_exists(conn, code):
        raise InvalidInput(f"Das Land {code} ist nicht erfasst.")


def _created(value: T | None) -> T:
    if value is None:
        raise RuntimeError("a row written in this transaction could not be read back")
    return value


# Search ----------------------------------------------------------------------------


async def search_catalog(
    db: Database, principal: Principal | None, query: SearchQuery
) -> SearchPage:
    """Full-text search with facets; municipalities see their own price per hit.

    A fixed number of queries and one quote per hit of the page, whatever the
    catalog's size; counts and hits are read from one snapshot, so they agree.
    A page asked for again while the catalog has not changed costs one query
    (``search_cache``).
    """
    rules.check_query(query)
    async with db.read() as conn:
        page = await _search_cache(db).page(conn, query)
        quoter = await _buyers_quoter(conn, principal)
    if quoter is None:
        return page
    hits = [
        msgspec.structs.replace(
            hit, my_quote=quoter.quote_version(hit.offer_version_id, hit.cost_model)
        )
        for hit in page.hits
    ]
    return msgspec.structs.replace(page, hits=hits)


async def _buyers_quoter(
    conn: Connection, principal: Principal | None
) -> Quoter | None:
    """The buyer's municipality prices the hits; an account whose municipality is
    not (or no longer) in the catalog still searches, without prices."""
    if principal is None or not principal.municipality_ags:
        return None
    try:
        return await Quoter.for_municipality(conn, principal.municipality_ags)
    except NotFound:
        log.warning(
            "account %s names municipality %s, which is not in the catalog",
            principal.login,
            principal.municipality_ags,
        )
        return None


_SEARCH_CACHES: WeakKeyDictionary[Database, SearchCache] = WeakKeyDictionary()


def _search_cache(db: Database) -> SearchCache:
    """One cache per open database (they differ in tests and benchmarks)."""
    cache = _SEARCH_CACHES.get(db)
    if cache is None:
        cache = _SEARCH_CACHES[db] = SearchCache()
    return cache
