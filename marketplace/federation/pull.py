"""The pulling side: fetch a peer's feed from its cursor, check every entry
(``verify``), apply the valid ones to the replica and record the rest as
incidents. One transaction per page; each entry in its own savepoint, so an
entry the replica refuses does not undo its neighbours.

One pull at a time per node: every caller holds ``PULLING`` (``Database.
exclusive``) and reads the peers' cursors only once it holds it. Several
workers on one PostgreSQL database would otherwise fetch the same page from the
same cursor, apply it twice and count it twice."""

from __future__ import annotations

import logging
import sqlite3

import httpx
import msgspec

from marketplace.contracts.render import check_template
from marketplace.db import Connection, Database
from marketplace.errors import MarketplaceError
from marketplace.federation import replica_rows, repository
from marketplace.federation.feed import now_iso
from marketplace.federation.schemas import (
    FeedEntry,
    FeedPage,
    OfferVersionEntry,
    OfferWithdrawnEntry,
    Peer,
    SyncResult,
)
from marketplace.federation.verify import (
    Rejection,
    Verdict,
    check_entries,
    check_head,
)

log = logging.getLogger(__name__)

PULLING = (0x6665_6400, 1)  # Database.exclusive key of a node's pull round
PAGE_SIZE = 500
MAX_PAGE_BYTES = 16 * 1024 * 1024
MAX_PAGES_PER_RUN = 200
MAX_GAPS_PER_RUN = 20


class FetchFailed(Exception):
    """The peer could not be reached or answered something that is not a feed."""


async def fetch(
    client: httpx.AsyncClient, peer: Peer, after: int, limit: int
) -> tuple[bytes, int]:
    """The raw page, refused beyond ``MAX_PAGE_BYTES`` while reading."""
    url = f"{peer.base_url}/api/v1/federation/feed"
    try:
        async with client.stream(
            "GET", url, params={"after": after, "limit": limit}
        ) as response:
            if response.status_code != 200:
                raise FetchFailed(f"HTTP {response.status_code} von {url}")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_PAGE_BYTES:
                    raise FetchFailed(f"Antwort größer als {MAX_PAGE_BYTES} Bytes")
                chunks.append(chunk)
    except httpx.HTTPError as exc:
        raise FetchFailed(f"{type(exc).__name__}: {exc}") from exc
    return b"".join(chunks), size


async def sync_peer(
    db: Database, client: httpx.AsyncClient, peer: Peer, *, full: bool = False
) -> SyncResult:
    """Pull until the peer's feed is exhausted (or a page is refused)."""
    if full:
        async with db.transaction() as conn:
            await repository.reset_cursor(conn, peer.name)
        peer = msgspec.structs.replace(peer, cursor=0)
    totals = SyncResult(peer=peer.name, cursor=peer.cursor)
    try:
        totals = await _pages(db, client, peer, totals)
        totals = await _gaps(db, client, peer, totals)
    except FetchFailed as exc:
        totals = msgspec.structs.replace(totals, error=str(exc))
    async with db.transaction() as conn:
        await repository.record_pull(
            conn,
            peer.name,
            cursor=totals.cursor,
            applied=0,
            fetched_bytes=0,
            now=now_iso(),
            error=totals.error,
        )
    if totals.error:
        log.warning("federation: pulling from %s failed: %s", peer.name, totals.error)
    return totals


async def _pages(
    db: Database, client: httpx.AsyncClient, peer: Peer, totals: SyncResult
) -> SyncResult:
    for _ in range(MAX_PAGES_PER_RUN):
        raw, size = await fetch(client, peer, totals.cursor, PAGE_SIZE)
        async with db.read() as conn:
            gaps = set(await repository.gaps(conn, peer.name))
        verdict, problem = _check_page(raw, peer, totals.cursor, gaps)
        before = totals.cursor
        totals = await _apply(db, peer, verdict, problem, totals, size)
        if problem is not None or totals.cursor == before:
            break  # refused, or nothing new (a peer that ignores the cursor)
        if verdict.received < PAGE_SIZE:
            break
    return totals


def _check_page(
    raw: bytes, peer: Peer, cursor: int, gaps: set[int]
) -> tuple[Verdict, Rejection | None]:
    try:
        page = msgspec.json.decode(raw, type=FeedPage)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return Verdict(cursor=cursor), Rejection("malformed", None, str(exc)[:300])
    head = check_head(page.head, peer.name, peer.public_key)
    if isinstance(head, Rejection):
        return Verdict(cursor=cursor), head
    if head.last_seq < cursor:
        return Verdict(cursor=cursor), Rejection(
            "rewound",
            head.last_seq,
            f"Der Feed endet bei {head.last_seq}, übernommen ist bereits {cursor}: "
            "ein älterer Stand wird wiederholt.",
        )
    verdict = check_entries(
        page.entries,
        peer=peer.name,
        public_key=peer.public_key,
        cursor=cursor,
        gaps=gaps,
    )
    if len(page.entries) < PAGE_SIZE and verdict.cursor < head.last_seq:
        verdict.rejected.append(
            Rejection(
                "truncated",
                head.last_seq,
                f"Der Feed kündigt {head.last_seq} an, geliefert bis {verdict.cursor}.",
            )
        )
    return verdict, None


async def _apply(
    db: Database,
    peer: Peer,
    verdict: Verdict,
    problem: Rejection | None,
    totals: SyncResult,
    size: int,
) -> SyncResult:
    rejected = verdict.rejected + ([problem] if problem else [])
    applied = 0
    now = now_iso()
    async with db.transaction() as conn:
        for entry in verdict.accepted:
            refusal = await _apply_one(conn, peer.name, entry)
            if refusal is None:
                applied += 1
            else:
                rejected.append(refusal)
        for rejection in rejected:
            await repository.add_incident(
                conn, peer.name, rejection.kind, rejection.seq, rejection.detail, now
            )
        await repository.add_gaps(conn, peer.name, verdict.new_gaps)
        for seq in verdict.filled:
            await repository.fill_gap(conn, peer.name, seq)
        await repository.record_pull(
            conn,
            peer.name,
            cursor=verdict.cursor,
            applied=applied,
            fetched_bytes=size,
            now=now,
            error=None,
        )
    for rejection in rejected:
        log.warning(
            "federation: %s entry %s refused (%s): %s",
            peer.name,
            rejection.seq,
            rejection.kind,
            rejection.detail,
        )
    return SyncResult(
        peer=peer.name,
        fetched=totals.fetched + verdict.received,
        applied=totals.applied + applied,
        rejected=totals.rejected + len(rejected),
        bytes=totals.bytes + size,
        cursor=max(totals.cursor, verdict.cursor),
    )


async def _apply_one(conn: Connection, node: str, entry: FeedEntry) -> Rejection | None:
    """Apply one entry inside a savepoint; a refusal rolls back only this entry."""
    await conn.execute("SAVEPOINT entry")
    try:
        match entry:
            case OfferVersionEntry():
                check_template(entry.version.contract_template)
                await replica_rows.apply_version(conn, node, entry)
            case OfferWithdrawnEntry():
                await replica_rows.apply_withdrawn(conn, node, entry)
    except (
        replica_rows.ReplicaConflict,
        MarketplaceError,
        msgspec.ValidationError,
        sqlite3.IntegrityError,
    ) as exc:
        await conn.execute("ROLLBACK TO entry")
        await conn.execute("RELEASE entry")
        detail = getattr(exc, "detail", None) or str(exc)
        return Rejection("refused", entry.seq, f"Nicht übernommen: {detail}")
    await conn.execute("RELEASE entry")
    return None


async def _gaps(
    db: Database, client: httpx.AsyncClient, peer: Peer, totals: SyncResult
) -> SyncResult:
    """Fetch each recorded gap once more on its own."""
    async with db.read() as conn:
        missing = (await repository.gaps(conn, peer.name))[:MAX_GAPS_PER_RUN]
    for seq in missing:
        raw, size = await fetch(client, peer, seq - 1, 1)
        verdict, problem = _check_page(raw, peer, totals.cursor, {seq})
        verdict.rejected[:] = [r for r in verdict.rejected if r.kind != "truncated"]
        verdict.accepted[:] = [e for e in verdict.accepted if e.seq == seq]
        verdict.cursor = totals.cursor
        totals = await _apply(db, peer, verdict, problem, totals, size)
    return totals
