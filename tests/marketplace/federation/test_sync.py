"""Three real marketplace nodes replicate each other's offers: from empty,
incrementally, across a killed node and a partition, always converging to the
same catalog (compared by content hash)."""

from __future__ import annotations

import signal
import sqlite3

import httpx
import pytest

from tests.marketplace.federation.cluster import Node, converged, wait_until
from tests.marketplace.federation.conftest import OFFERS, new_version, own_offers

pytestmark = pytest.mark.timeout(180)


def _applied(node: Node, peer: str) -> tuple[int, int]:
    found = node.peer(peer)
    return int(found["entries_applied"]), int(found["bytes_fetched"])


def test_sync_from_empty(cluster: list[Node]) -> None:
    """GIVEN three nodes with 6, 4 and 3 own offers and empty replicas
    WHEN their background pullers run
    THEN every node holds all 13 offers with their home nodes, the content hashes
    are equal, and each peer's feed was applied entry by entry, none refused."""
    wait_until(lambda: converged(cluster), what="three nodes converge")
    for node in cluster:
        digest = node.digest()
        assert digest["by_node"] == OFFERS
        assert digest["offers"] == sum(OFFERS.values())
        for other in cluster:
            if other is not node:
                assert _applied(node, other.name)[0] == OFFERS[other.name]
        assert node.incidents() == []


def test_search_spans_local_and_replicated_offers(cluster: list[Node]) -> None:
    """GIVEN the converged nodes
    WHEN node sued searches its catalog, filtered by another node's provider
    THEN the hits are that node's offers, marked with their home node, and the
    provider facet counts the providers of all three nodes."""
    wait_until(lambda: converged(cluster), what="three nodes converge")
    sued = cluster[1]
    everything = sued.get("/api/v1/catalog/search", per_page=100)
    assert everything["total"] == sum(OFFERS.values())
    providers = {f["value"]: f["count"] for f in everything["facets"]["provider"]}
    assert providers == {"nord-p0": 6, "sued-p0": 4, "ost-p0": 3}
    nord_only = sued.get("/api/v1/catalog/search", provider="nord-p0")
    assert nord_only["total"] == 6
    assert {hit["home_node"] for hit in nord_only["hits"]} == {"nord"}
    own = sued.get("/api/v1/catalog/search", provider="sued-p0")
    assert {hit["home_node"] for hit in own["hits"]} == {None}
    page = httpx.get(f"{sued.base}/", params={"provider": "nord-p0"}).text
    assert page.count("Angebot von Knoten nord") == 6


def test_replicated_offers_are_read_only(cluster: list[Node]) -> None:
    """GIVEN an offer of node nord replicated on node sued
    WHEN sued's operator tries to add a version or withdraw it, and a draft is
    inserted straight into sued's database
    THEN the API answers 409 naming the home node, the trigger refuses the draft,
    and the replica is unchanged."""
    wait_until(lambda: converged(cluster), what="three nodes converge")
    sued = cluster[1]
    hit = sued.get("/api/v1/catalog/search", provider="nord-p0")["hits"][0]
    offer = sued.get(f"/api/v1/offers/{hit['offer_id']}", "betrieb")
    body = {
        key: offer["versions"][-1][key]
        for key in (
            "title",
            "description",
            "legal_route",
            "cost_model",
            "contract_template",
        )
    }
    added = sued.call(
        "POST", f"/api/v1/offers/{hit['offer_id']}/versions", "betrieb", json=body
    )
    assert added.status_code == 409
    assert "nord" in added.json()["detail"]
    withdrawn = sued.call(
        "POST", f"/api/v1/offers/{hit['offer_id']}/withdraw", "betrieb"
    )
    assert withdrawn.status_code == 409
    with pytest.raises(sqlite3.IntegrityError, match="read-only"):
        sued.execute(
            "INSERT INTO offer_versions (offer_id, version, status, title, description,"
            " legal_route, cost_model, contract_template, notice_period_months,"
            " created_at) VALUES (?, 99, 'draft', 't', 'd', 'direct', '{}', 'x', 6,"
            " '2026-01-01')",
            (hit["offer_id"],),
        )
    assert converged(cluster)


def test_incremental_sync_moves_only_the_changes(cluster: list[Node]) -> None:
    """GIVEN converged nodes and the entries each has applied from nord so far
    WHEN nord's provider publishes a new version of one offer and withdraws another
    THEN every node converges again, each applied exactly two more entries from
    nord (the new version and the tombstone), the new version is current there
    and the withdrawn offer left their search."""
    wait_until(lambda: converged(cluster), what="three nodes converge")
    nord, sued, ost = cluster
    before = {node.name: _applied(node, "nord") for node in (sued, ost)}
    changed, gone = own_offers(nord)[:2]
    number = new_version(nord, int(str(changed["id"])), "Geändert.")
    answer = nord.call("POST", f"/api/v1/offers/{gone['id']}/withdraw", "admin")
    assert answer.status_code in (200, 201), answer.text
    wait_until(lambda: converged(cluster), what="converge after a change")
    for node in (sued, ost):
        applied, fetched = _applied(node, "nord")
        assert applied - before[node.name][0] == 2
        assert 0 < fetched - before[node.name][1] < 40_000
        hits = node.get("/api/v1/catalog/search", provider="nord-p0", per_page=100)[
            "hits"
        ]
        assert len(hits) == OFFERS["nord"] - 1
        assert number in {hit["version"] for hit in hits}
        assert node.digest()["by_node"]["nord"] == OFFERS["nord"]  # withdrawn kept


def test_killed_node_restarts_and_catches_up(cluster: list[Node]) -> None:
    """GIVEN converged nodes
    WHEN node sued is killed (SIGKILL) and nord changes an offer meanwhile
    THEN ost takes the change, nord marks sued stale and shows sued's offers as
    "derzeit nicht bestätigt"; after sued restarts on its file it catches up
    from its cursor, all three converge, and sued is confirmed again."""
    wait_until(lambda: converged(cluster), what="three nodes converge")
    nord, sued, ost = cluster
    sued.stop(signal.SIGKILL)
    new_version(nord, int(str(own_offers(nord)[2]["id"])), "Während sued fehlt.")
    wait_until(lambda: converged([nord, ost]), what="nord and ost converge")
    wait_until(lambda: nord.peer("sued")["stale"], what="sued marked stale")
    page = httpx.get(f"{nord.base}/", params={"provider": "sued-p0"}).text
    assert page.count("derzeit nicht bestätigt") == OFFERS["sued"]
    sued.start()
    wait_until(lambda: converged(cluster), what="converge after the restart")
    wait_until(lambda: not nord.peer("sued")["stale"], what="sued confirmed")
    page = httpx.get(f"{nord.base}/", params={"provider": "sued-p0"}).text
    assert "derzeit nicht bestätigt" not in page


def test_partition_and_heal(cluster: list[Node]) -> None:
    """GIVEN converged nodes
    WHEN ost is cut off (no node pulls from it, it pulls from none) and both ost
    and nord change an offer
    THEN nord and sued converge without ost's change while ost differs; after the
    partition heals, all three converge to the same content hash holding both
    changes."""
    wait_until(lambda: converged(cluster), what="three nodes converge")
    nord, sued, ost = cluster
    for node, peer in ((ost, "nord"), (ost, "sued"), (nord, "ost"), (sued, "ost")):
        node.switch(peer, enabled=False)
    try:
        ost_version = new_version(ost, int(str(own_offers(ost)[0]["id"])), "Ost.")
        new_version(nord, int(str(own_offers(nord)[3]["id"])), "Nord.")
        wait_until(lambda: converged([nord, sued]), what="nord and sued converge")
        assert nord.digest()["sha256"] != ost.digest()["sha256"]
        versions = {
            hit["version"]
            for hit in sued.get("/api/v1/catalog/search", provider="ost-p0")["hits"]
        }
        assert ost_version not in versions
    finally:
        for node, peer in ((ost, "nord"), (ost, "sued"), (nord, "ost"), (sued, "ost")):
            node.switch(peer, enabled=True)
    wait_until(lambda: converged(cluster), what="converge after healing")
    versions = {
        hit["version"]
        for hit in sued.get("/api/v1/catalog/search", provider="ost-p0")["hits"]
    }
    assert ost_version in versions
