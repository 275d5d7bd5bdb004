"""A real marketplace node pulls from crafted peers (``crafted.py``: a tiny HTTP
server in the test, signing with its own key, that serves feeds a real node
never would). Every lie is refused and reported; the valid entries around it
are still applied. Syncs are triggered through the operator API (the node's
background puller is idle: its interval is an hour)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator

import httpx
import msgspec
import pytest

from marketplace.federation.schemas import FeedPage, Signed
from marketplace.federation.verify import MAX_ENTRY_BYTES
from tests.marketplace.federation.cluster import Node, start_cluster
from tests.marketplace.federation.crafted import CraftedPeer

pytestmark = pytest.mark.timeout(120)


@pytest.fixture(scope="module")
def victim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    folder = tmp_path_factory.mktemp("crafted")
    (node,) = start_cluster(folder, {"ziel": 2}, interval=3600, stale=3600)
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture
def crafted(victim: Node, request: pytest.FixtureRequest) -> Iterator[CraftedPeer]:
    name = f"boese-{request.node.name.split('_')[1][:20]}"
    peer = CraftedPeer(name)
    with peer.running():
        added = victim.call(
            "POST",
            "/api/v1/federation/peers",
            "betrieb",
            json={
                "name": name,
                "base_url": peer.base,
                "public_key": peer.key.public_hex,
            },
        )
        assert added.status_code == 201, added.text
        yield peer


def _offers_of(victim: Node, peer: CraftedPeer) -> int:
    found = victim.get("/api/v1/catalog/search", provider=f"{peer.name}-p0")
    return int(found["total"])


def _kinds(victim: Node, peer: CraftedPeer) -> list[tuple[str, int | None]]:
    return sorted((i["kind"], i["seq"]) for i in victim.incidents(peer.name))


def _tampered(signed: Signed) -> Signed:
    body = signed.body.replace(b"Ein Angebot.", b"Ein Angebot!")
    assert body != signed.body
    return Signed(body=body, signature=signed.signature)


def test_forged_entry(victim: Node, crafted: CraftedPeer) -> None:
    """GIVEN a peer feed of five entries whose third was changed after signing
    WHEN the node pulls
    THEN four offers are applied, the forged one is an incident ('forged', 3) and
    a gap; once the peer serves the genuine entry 3, the next pull fills the gap."""
    genuine = {seq: crafted.sign(crafted.entry(seq, seq)) for seq in range(1, 6)}
    crafted.serve_log({**genuine, 3: _tampered(genuine[3])})
    (result,) = victim.sync(crafted.name)
    assert (result["applied"], result["cursor"]) == (4, 5)
    assert _offers_of(victim, crafted) == 4
    assert _kinds(victim, crafted) == [("forged", 3)]  # refetched as a gap: once
    assert victim.peer(crafted.name)["gaps"] == [3]
    crafted.serve_log(genuine)
    (result,) = victim.sync(crafted.name)
    assert result["applied"] == 1
    assert _offers_of(victim, crafted) == 5
    assert victim.peer(crafted.name)["gaps"] == []


def test_feed_signed_by_another_key(victim: Node, crafted: CraftedPeer) -> None:
    """GIVEN a feed whose head and entries are signed by a key that is not the
    configured one (someone in the middle)
    WHEN the node pulls
    THEN nothing is applied and the head is reported as forged."""
    impostor = CraftedPeer(crafted.name)
    entries = [impostor.sign(impostor.entry(1, 1))]
    crafted.serve = lambda after, limit: impostor.page(entries)
    (result,) = victim.sync(crafted.name)
    assert result["applied"] == 0
    assert _offers_of(victim, crafted) == 0
    assert _kinds(victim, crafted) == [("forged", None)]


def test_replayed_feed(victim: Node, crafted: CraftedPeer) -> None:
    """GIVEN three entries already applied from a peer
    WHEN the peer serves them again whatever the cursor (a replay), and later an
    older head (its feed rewound to 2)
    THEN each replayed entry is refused as 'replay', nothing is applied twice,
    the rewound feed is refused as a whole, and the cursor stays at 3."""
    log = {seq: crafted.sign(crafted.entry(seq, seq)) for seq in range(1, 4)}
    crafted.serve_log(log)
    victim.sync(crafted.name)
    crafted.serve = lambda after, limit: crafted.page(list(log.values()))
    (result,) = victim.sync(crafted.name)
    assert (result["applied"], result["rejected"]) == (0, 3)
    crafted.serve = lambda after, limit: crafted.page([log[1], log[2]], last_seq=2)
    (result,) = victim.sync(crafted.name)
    assert result["applied"] == 0
    assert _offers_of(victim, crafted) == 3
    assert victim.peer(crafted.name)["cursor"] == 3
    assert _kinds(victim, crafted) == [
        ("replay", 1),
        ("replay", 2),
        ("replay", 3),
        ("rewound", 2),
    ]


def test_out_of_order_entry(victim: Node, crafted: CraftedPeer) -> None:
    """GIVEN a peer whose first page holds entries 1, 3, 2 in that order (later
    requests are answered in order)
    WHEN the node pulls
    THEN 1 and 3 are applied from the page, 2 is refused there as
    'out_of_order' and recorded as a gap, and the same run fetches 2 alone
    and fills the gap: three offers, no gap left."""
    log = {seq: crafted.sign(crafted.entry(seq, seq)) for seq in range(1, 4)}

    def serve(after: int, limit: int) -> FeedPage:
        if after == 0:
            return crafted.page([log[1], log[3], log[2]])
        chosen = [log[s] for s in sorted(log) if s > after][:limit]
        return crafted.page(chosen, last_seq=3)

    crafted.serve = serve
    (result,) = victim.sync(crafted.name)
    assert (result["applied"], result["cursor"]) == (3, 3)
    assert _kinds(victim, crafted) == [("out_of_order", 2)]
    assert _offers_of(victim, crafted) == 3
    assert victim.peer(crafted.name)["gaps"] == []
    assert crafted.requests == [(0, 500), (1, 1)]  # the gap was fetched alone


def test_oversized_and_foreign_entries(victim: Node, crafted: CraftedPeer) -> None:
    """GIVEN a feed with an entry larger than the limit and one naming another
    node, both correctly signed, between two valid entries
    WHEN the node pulls
    THEN the two valid entries are applied and the others refused as
    'oversized' and 'wrong_node'."""
    big = crafted.entry(2, 2, description="x" * (MAX_ENTRY_BYTES + 1))
    foreign = msgspec.structs.replace(crafted.entry(3, 3), node="nord")
    entries = [
        crafted.sign(e)
        for e in (crafted.entry(1, 1), big, foreign, crafted.entry(4, 4))
    ]
    crafted.serve = lambda after, limit: crafted.page(
        entries if after == 0 else [], last_seq=4
    )
    (result,) = victim.sync(crafted.name)
    assert result["applied"] == 2
    assert _offers_of(victim, crafted) == 2
    assert _kinds(victim, crafted) == [("oversized", None), ("wrong_node", 3)]


def test_peer_with_skewed_clock(victim: Node, crafted: CraftedPeer) -> None:
    """GIVEN a peer whose clock runs hours off: version 2 of an offer carries a
    time seven hours before version 1's, the head a time a day ahead
    WHEN the node pulls
    THEN everything is applied (times are informational), the current version
    is 2 (ordered by sequence and version, not by time), and the peer counts
    as confirmed by the node's own clock."""
    log = {
        1: crafted.sign(crafted.entry(1, 1, version=1, at="2026-11-23T09:00:00Z")),
        2: crafted.sign(crafted.entry(2, 1, version=2, at="2026-11-23T02:00:00Z")),
        3: crafted.sign(crafted.tombstone(3, 2)),
        4: crafted.sign(crafted.entry(4, 2, at="2026-11-24T02:00:00Z")),
    }

    def serve(after: int, limit: int) -> FeedPage:
        chosen = [log[s] for s in sorted(log) if s > after]
        return crafted.page(chosen, last_seq=4, at="2026-11-24T03:00:00Z")

    crafted.serve = serve
    (result,) = victim.sync(crafted.name)
    assert (result["applied"], result["rejected"]) == (4, 0)
    hits = victim.get("/api/v1/catalog/search", provider=f"{crafted.name}-p0")["hits"]
    assert [hit["version"] for hit in hits] == [2]  # offer 2 withdrawn before seen
    assert victim.peer(crafted.name)["stale"] is False


def test_operator_page_reports_incidents(victim: Node, crafted: CraftedPeer) -> None:
    """GIVEN a forged entry refused from a crafted peer
    WHEN the operator opens the federation page
    THEN it lists the peer with its gap and the incident in German; a municipality
    buyer may not see the page."""
    log = {seq: crafted.sign(crafted.entry(seq, seq)) for seq in range(1, 3)}
    crafted.serve_log({**log, 1: _tampered(log[1])})
    victim.sync(crafted.name)
    page = httpx.get(
        f"{victim.base}/betrieb/foederation", headers=victim.token("betrieb")
    )
    assert page.status_code == 200
    assert "Signatur ungültig" in page.text
    assert f'data-peer="{crafted.name}"' in page.text
    denied = httpx.get(
        f"{victim.base}/betrieb/foederation", headers=victim.token("einkauf")
    )
    assert denied.status_code == 403


def test_full_page_replayed_is_fetched_once(victim: Node, crafted: CraftedPeer) -> None:
    """GIVEN 500 entries (a full page) applied from a peer
    WHEN the peer answers every later request with the same full page
    THEN one pull fetches that page once (no loop over pages that bring nothing
    new) and records each replayed number once, however often it is pulled."""
    log = {
        seq: crafted.sign(crafted.entry(seq, 1, version=seq)) for seq in range(1, 501)
    }
    crafted.serve_log(log)
    (first,) = victim.sync(crafted.name)
    assert (first["applied"], first["cursor"]) == (500, 500)
    crafted.serve = lambda after, limit: crafted.page(list(log.values()))
    crafted.requests.clear()
    for _ in range(2):
        (again,) = victim.sync(crafted.name)
        assert again["applied"] == 0
    assert len(crafted.requests) == 2
    with sqlite3.connect(victim.db) as conn:  # the API lists the newest 200
        rows = conn.execute(
            "SELECT kind, COUNT(*) FROM federation_incidents WHERE peer = ?"
            " GROUP BY kind",
            (crafted.name,),
        ).fetchall()
    assert rows == [("replay", 500)]
