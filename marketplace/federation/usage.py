"""Aggregated usage across nodes (the OZG dashboard view, seed 001 L324-336):
which service is used by how many municipalities per Land. Each node reports
only its own municipalities' contracts in force, signed; peers' reports are
fetched with each pull and kept in memory (they are refreshed every round)."""

from __future__ import annotations

import httpx
import msgspec

from marketplace.db import Database
from marketplace.federation import contract_rows
from marketplace.federation.feed import node_name, now_iso
from marketplace.federation.keys import BadSignature, NodeKey, open_signed
from marketplace.federation.messages import (
    UsageCount,
    UsageOverview,
    UsageReport,
)
from marketplace.federation.schemas import Peer, Signed


async def own_report(db: Database) -> UsageReport:
    async with db.read() as conn:
        me = await node_name(conn)
        counts = await contract_rows.usage_counts(conn)
    return UsageReport(
        node=me,
        at=now_iso(),
        counts=[
            UsageCount(leika_key=leika, land_code=land, municipalities=n)
            for leika, land, n in counts
        ],
    )


async def signed_report(db: Database, key: NodeKey) -> Signed:
    return key.sign(await own_report(db))


async def fetch_report(client: httpx.AsyncClient, peer: Peer) -> UsageReport | None:
    """A peer's verified report, or None if it cannot be had or checked now."""
    try:
        answer = await client.get(f"{peer.base_url}/api/v1/federation/usage")
        signed = msgspec.json.decode(answer.content, type=Signed)
        report = open_signed(signed, peer.public_key, UsageReport)
    except (
        httpx.HTTPError,
        msgspec.DecodeError,
        msgspec.ValidationError,
        BadSignature,
    ):
        return None
    return report if report.node == peer.name else None


async def overview(
    db: Database, reports: dict[str, UsageReport]
) -> list[UsageOverview]:
    """Own counts plus the latest report of each peer, per service and Land."""
    mine = await own_report(db)
    async with db.read() as conn:
        titles = await contract_rows.service_titles(conn)
    combined: dict[tuple[str, str], dict[str, int]] = {}
    for report in [mine, *(r for n, r in sorted(reports.items()) if n != mine.node)]:
        for count in report.counts:
            key = (count.leika_key, count.land_code)
            combined.setdefault(key, {})[report.node] = count.municipalities
    return [
        UsageOverview(
            leika_key=leika,
            service_title=titles.get(leika),
            land_code=land,
            municipalities=sum(by_node.values()),
            by_node=by_node,
        )
        for (leika, land), by_node in sorted(combined.items())
    ]
