"""The publishing side: this node's change feed of its own offers.

Triggers of migration 0009 append a numbered row whenever an own offer version is
published or an own offer withdrawn, in the same transaction as the change. The
row is sealed (its entry built and signed) when a peer first reads that far;
what it describes is immutable, so the entry is the same whenever it is sealed.
"""

from __future__ import annotations

from datetime import UTC, datetime

import msgspec

from marketplace.catalog import repository as catalog_rows
from marketplace.catalog.schemas import Offer, OfferVersion
from marketplace.db import Connection, Database, Row
from marketplace.errors import NotFound
from marketplace.federation import repository
from marketplace.federation.keys import NodeKey
from marketplace.federation.schemas import (
    FeedEntry,
    FeedHead,
    FeedPage,
    OfferVersionEntry,
    OfferWithdrawnEntry,
    ProviderData,
    ServiceData,
    Signed,
    VersionData,
)

MAX_PAGE = 1000


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


async def node_name(conn: Connection) -> str:
    found = await repository.node(conn)
    if found is None:
        raise NotFound(
            "Dieser Marktplatz ist nicht als Föderationsknoten eingerichtet "
            "(marketplace node init)."
        )
    return str(found["name"])


async def page(db: Database, key: NodeKey, *, after: int, limit: int) -> FeedPage:
    """Entries with ``seq > after`` (at most ``limit``) and the signed head."""
    limit = max(1, min(limit, MAX_PAGE))
    async with db.read() as conn:
        name = await node_name(conn)
        pending = await repository.has_unsealed(conn, after + limit)
    if pending:
        await _seal(db, key, name, after + limit)
    async with db.read() as conn, catalog_rows.snapshot(conn):
        rows = await repository.sealed_after(conn, after, limit)
        last = await repository.last_seq(conn)
    head = key.sign(FeedHead(node=name, last_seq=last, at=now_iso()))
    entries = [Signed(body=row["body"], signature=row["signature"]) for row in rows]
    return FeedPage(node=name, head=head, entries=entries)


async def _seal(db: Database, key: NodeKey, name: str, upto: int) -> None:
    async with db.transaction() as conn:
        for row in await repository.unsealed(conn, upto):
            entry = await _entry(conn, name, row)
            signed = key.sign(entry)
            await repository.seal(conn, row["seq"], signed.body, signed.signature)


async def _entry(conn: Connection, name: str, row: Row) -> FeedEntry:
    offer = await catalog_rows.get_offer(conn, row["offer_id"])
    if offer is None:
        raise RuntimeError(f"feed row {row['seq']} names a missing offer")
    if row["kind"] == "offer_withdrawn":
        return OfferWithdrawnEntry(
            node=name,
            seq=row["seq"],
            at=row["recorded_at"],
            offer_id=offer.id,
            provider_id=offer.provider.id,
            leika_key=offer.service.leika_key,
            withdrawn_at=offer.withdrawn_at or row["recorded_at"],
        )
    version = next(v for v in offer.versions if v.id == row["version_id"])
    return version_entry(name, row["seq"], row["recorded_at"], offer, version)


def version_entry(
    name: str, seq: int, at: str, offer: Offer, version: OfferVersion
) -> OfferVersionEntry:
    service = msgspec.structs.asdict(offer.service)
    del service["id"]
    return OfferVersionEntry(
        node=name,
        seq=seq,
        at=at,
        offer_id=offer.id,
        provider=msgspec.convert(msgspec.structs.asdict(offer.provider), ProviderData),
        service=msgspec.convert(service, ServiceData),
        version=VersionData(
            id=version.id,
            version=version.version,
            title=version.title,
            description=version.description,
            legal_route=str(version.legal_route),
            cost_model=version.cost_model,
            contract_template=version.contract_template,
            notice_period_months=version.notice_period_months,
            land_code=version.land_code,
            published_at=version.published_at or at,
            reference_annual_cents=version.reference_annual_cents,
        ),
    )
