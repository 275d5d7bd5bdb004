"""Cross-node contracts between real marketplace nodes: a municipality on one node
contracts an offer of another node's provider. Both nodes end with the same
text hash and an active contract, or in a state both can retry from; a
contract is never active at the provider's node alone."""

from __future__ import annotations

import base64
import re
import signal
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from typing import Any

import httpx
import msgspec
import pytest

from tests.marketplace.federation.cluster import (
    Node,
    converged,
    start_cluster,
    wait_until,
)
from tests.marketplace.federation.conftest import OFFERS, database_urls

pytestmark = pytest.mark.timeout(180)


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, backend_url: Callable[[], str]
) -> Iterator[list[Node]]:
    nodes = start_cluster(
        tmp_path_factory.mktemp("contracts"),
        OFFERS,
        database_urls=database_urls(backend_url),
    )
    try:
        wait_until(lambda: converged(nodes), what="three nodes converge")
        yield nodes
    finally:
        for node in nodes:
            node.stop()


def _replicated_version(buyer: Node, index: int) -> int:
    hits = buyer.get("/api/v1/catalog/search", provider="nord-p0", per_page=100)["hits"]
    return int(sorted(hits, key=lambda h: h["offer_id"])[index]["offer_version_id"])


def _request(buyer: Node, version_id: int) -> dict[str, Any]:
    answer = buyer.call(
        "POST",
        "/api/v1/federation/remote-contracts",
        "einkauf",
        json={"offer_version_id": version_id},
    )
    assert answer.status_code == 201, answer.text
    found: dict[str, Any] = answer.json()
    assert found["state"] == "offered"
    return found


def _sign(buyer: Node, contract: dict[str, Any]) -> dict[str, Any]:
    answer = buyer.call(
        "POST",
        f"/api/v1/federation/remote-contracts/{contract['id']}/sign",
        "einkauf",
        json={"text_sha256": contract["text_sha256"]},
    )
    assert answer.status_code == 200, answer.text
    found: dict[str, Any] = answer.json()
    return found


def _contract(node: Node, who: str, contract_id: int) -> dict[str, Any]:
    found: dict[str, Any] = node.get(f"/api/v1/contracts/{contract_id}", who)
    return found


def _at_provider(provider: Node, ags: str) -> dict[str, Any]:
    """The provider node's contract for the municipality (exactly one)."""
    mine = [
        c
        for c in provider.get("/api/v1/contracts", "admin")
        if c["municipality_ags"] == ags
    ]
    assert len(mine) == 1
    return mine[0]


def _actions(node: Node, who: str, contract_id: int) -> list[str]:
    events = node.get(f"/api/v1/contracts/{contract_id}/events", who)
    return [e["action"] for e in events]


def _countersign(provider: Node, contract: dict[str, Any]) -> None:
    answer = provider.call(
        "POST",
        f"/api/v1/contracts/{contract['id']}/countersign",
        "admin",
        json={"text_sha256": contract["text_sha256"]},
    )
    assert answer.status_code in (200, 201), answer.text


def test_cross_node_contract(cluster: list[Node]) -> None:
    """GIVEN nord's offers replicated on sued
    WHEN Köln's buyer on sued requests and signs a contract for a nord offer, and
    nord's provider countersigns as usual
    THEN nord holds the signed contract with the same text hash, an early
    activation at nord is refused, sued activates after verifying the
    countersignature and nord activates on sued's confirmation: both active,
    same hash, both audit logs with every step; and Köln can subscribe."""
    nord, sued, _ = cluster
    offered = _request(sued, _replicated_version(sued, 0))
    forwarded = _sign(sued, offered)
    assert forwarded["state"] == "forwarded", forwarded
    remote = _at_provider(nord, "05315000")
    assert (remote["state"], remote["text_sha256"]) == (
        "signed",
        offered["text_sha256"],
    )
    _countersign(nord, remote)
    early = nord.call("POST", f"/api/v1/contracts/{remote['id']}/activate", "admin")
    assert early.status_code == 409
    wait_until(
        lambda: _contract(nord, "admin", remote["id"])["state"] == "active",
        what="active at the provider's node after confirmation",
    )
    local = _contract(sued, "einkauf", offered["id"])
    assert local["state"] == "active"
    assert local["text_sha256"] == offered["text_sha256"] == remote["text_sha256"]
    steps = ["request", "offer", "sign", "countersign", "activate"]
    assert _actions(sued, "einkauf", offered["id"]) == steps
    assert _actions(nord, "admin", remote["id"]) == steps
    for node, who, cid in (
        (sued, "einkauf", offered["id"]),
        (nord, "admin", remote["id"]),
    ):
        assert node.get(f"/api/v1/contracts/{cid}/verify", who)["intact"] is True
    rows = sued.get("/api/v1/federation/remote-contracts", "einkauf")
    assert [r["state"] for r in rows] == ["confirmed"]
    subscribed = sued.call(
        "PUT",
        "/api/v1/subscriptions/koeln-nord-prod",
        "einkauf",
        json={
            "contract_id": offered["id"],
            "environment": "production",
            "endpoint_url": "https://fachverfahren.koeln.example/eingang",
            "fachverfahren": "OK.VERKEHR",
        },
    )
    assert subscribed.status_code == 201, subscribed.text


def test_failures_half_way_are_retried(cluster: list[Node]) -> None:
    """GIVEN Dresden's buyer on ost and a nord offer
    WHEN nord is down (SIGKILL) as the buyer signs, and later ost is down
    (SIGKILL) when nord's provider countersigns
    THEN first ost keeps its contract signed with the request to forward (reason
    recorded) and nord has nothing; after nord restarts ost forwards it; while
    ost is down nord's contract stays countersigned, never active; after ost
    restarts both contracts become active with the same hash, and nord holds
    exactly one contract for Dresden (the retries were idempotent)."""
    nord, _, ost = cluster
    offered = _request(ost, _replicated_version(ost, 1))
    nord.stop(signal.SIGKILL)
    try:
        pending = _sign(ost, offered)
        assert pending["state"] == "to_forward"
        assert pending["reason"]
        assert pending["attempts"] >= 1
        assert _contract(ost, "einkauf", offered["id"])["state"] == "signed"
    finally:
        nord.start()
    rows = lambda: ost.get("/api/v1/federation/remote-contracts", "einkauf")  # noqa: E731
    wait_until(
        lambda: rows()[0]["state"] == "forwarded", what="forwarded after restart"
    )
    remote = _at_provider(nord, "14612000")
    assert remote["state"] == "signed"
    ost.stop(signal.SIGKILL)
    try:
        _countersign(nord, remote)
        time.sleep(2.0)  # several puller rounds of nord
        assert _contract(nord, "admin", remote["id"])["state"] == "countersigned"
    finally:
        ost.start()
    wait_until(
        lambda: rows()[0]["state"] == "confirmed", what="confirmed after restart"
    )
    local = _contract(ost, "einkauf", offered["id"])
    remote = _at_provider(nord, "14612000")
    assert local["state"] == remote["state"] == "active"
    assert local["text_sha256"] == remote["text_sha256"] == offered["text_sha256"]


def test_rejected_request_is_cancelled_on_both_sides(cluster: list[Node]) -> None:
    """GIVEN a contract drafted on sued for a nord offer
    WHEN nord's provider withdraws that offer before Köln signs, and Köln signs
    THEN nord refuses the request (no contract there), and sued cancels its
    contract, recording nord's reason."""
    nord, sued, _ = cluster
    version_id = _replicated_version(sued, 2)
    offered = _request(sued, version_id)
    title = sued.get(f"/api/v1/offer-versions/{version_id}")["title"]
    own = nord.get("/api/v1/offers", "admin", provider="nord-p0")
    offer_id = next(o["id"] for o in own if o["versions"][-1]["title"] == title)
    before = len(nord.get("/api/v1/contracts", "admin"))
    answer = nord.call("POST", f"/api/v1/offers/{offer_id}/withdraw", "admin")
    assert answer.status_code in (200, 201), answer.text
    rejected = _sign(sued, offered)
    assert rejected["state"] == "rejected"
    assert "gibt es nicht" in rejected["reason"]
    assert _contract(sued, "einkauf", offered["id"])["state"] == "cancelled"
    assert len(nord.get("/api/v1/contracts", "admin")) == before


def test_signed_on_the_contract_page_with_automatic_countersignature(
    cluster: list[Node],
) -> None:
    """GIVEN nord's provider countersigns automatically
    WHEN Dresden's buyer on ost requests and signs through the ordinary contract
    routes (what the contract pages do) instead of the federation routes
    THEN ost's next reconciliation forwards it, nord's automation countersigns,
    and both contracts become active with the same hash without anyone acting."""
    nord, _, ost = cluster
    settings = nord.call(
        "PUT",
        "/api/v1/providers/nord-p0/contract-settings",
        "admin",
        json={"auto_offer": False, "auto_countersign": True},
    )
    assert settings.status_code == 200, settings.text
    requested = ost.call(
        "POST",
        "/api/v1/contracts",
        "einkauf",
        json={"offer_version_id": _replicated_version(ost, 3)},
    )
    assert requested.status_code == 201, requested.text
    offered = requested.json()
    assert offered["state"] == "offered"  # by the replicated publication
    signed = ost.call(
        "POST",
        f"/api/v1/contracts/{offered['id']}/sign",
        "einkauf",
        json={"text_sha256": offered["text_sha256"]},
    )
    assert signed.status_code in (200, 201), signed.text
    wait_until(
        lambda: _contract(ost, "einkauf", offered["id"])["state"] == "active",
        what="active on the buyer's node",
    )
    remote = [
        c
        for c in nord.get("/api/v1/contracts", "admin")
        if c["text_sha256"] == offered["text_sha256"]
    ]
    wait_until(
        lambda: _contract(nord, "admin", remote[0]["id"])["state"] == "active",
        what="active on the provider's node",
    )
    assert len(remote) == 1


def _overview(node: Node) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = node.get("/api/v1/federation/usage/overview")
    return found


def test_usage_counts_across_nodes(cluster: list[Node]) -> None:
    """GIVEN the cross-node contracts concluded above (buyers on sued and ost,
    the provider on nord)
    WHEN each node combines its own usage report with its peers' signed reports
    THEN all three show the same counts per service and Land, each contract in
    force counted once: by the buyer's node, not again by the provider's."""
    nord, sued, ost = cluster
    in_force = sum(
        1
        for node in (sued, ost)
        for c in node.get("/api/v1/contracts", "einkauf")
        if c["state"] in ("countersigned", "active")
    )
    assert in_force >= 2
    wait_until(
        lambda: (
            sum(row["municipalities"] for row in _overview(nord)) == in_force
            and _overview(sued) == _overview(ost) == _overview(nord)
        ),
        what="the same usage overview on every node",
    )
    rows = _overview(nord)
    assert {node for row in rows for node in row["by_node"]} == {"sued", "ost"}
    assert {row["land_code"] for row in rows} == {"05", "14"}  # Köln, Dresden
    own = msgspec.json.decode(
        base64.b64decode(nord.get("/api/v1/federation/usage")["body"])
    )
    assert own["counts"] == []


_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
_HASH = re.compile(r'name="text_sha256" value="([0-9a-f]{64})"')


def _browser(node: Node, who: str) -> httpx.Client:
    """A cookie session logged in through the login form, as a browser does
    (close it: ``contextlib.closing``)."""
    client = httpx.Client(base_url=node.base, follow_redirects=True, timeout=30)
    shown = client.get("/anmelden")
    login = {"login": f"{node.name}-{who}", "password": f"foederation-{node.name}"}
    answer = client.post(
        "/anmelden", data={**login, "_csrf_token": _CSRF.findall(shown.text)[0]}
    )
    assert answer.status_code == 200
    return client


def _submit(
    client: httpx.Client, page: str, action: str, **fields: str
) -> httpx.Response:
    shown = client.get(page)
    assert action in shown.text, shown.text[:2000]
    token = _CSRF.findall(shown.text)[0]
    answer = client.post(action, data={**fields, "_csrf_token": token})
    assert answer.status_code == 200, answer.text[:2000]
    return answer


def test_the_web_pages_conclude_a_cross_node_contract(cluster: list[Node]) -> None:
    """GIVEN Köln's buyer logged in on sued and nord's provider admin on nord
    (countersigning by hand)
    WHEN the buyer requests a nord offer on its offer page and signs it on the
    contract page, and the provider countersigns on nord's contract page
    THEN both contract pages show the contract active, each naming the other
    node's party in its audit log."""
    nord, sued, _ = cluster
    manual = nord.call(
        "PUT",
        "/api/v1/providers/nord-p0/contract-settings",
        "admin",
        json={"auto_offer": False, "auto_countersign": False},
    )
    assert manual.status_code == 200
    with (
        closing(_browser(sued, "einkauf")) as buyer,
        closing(_browser(nord, "admin")) as provider,
    ):
        version_id = _replicated_version(sued, 4)
        offer_page = f"/angebote/{version_id}"
        assert "Angebot von Knoten nord" in buyer.get(offer_page).text
        requested = _submit(buyer, offer_page, f"{offer_page}/vertrag-foederation")
        contract_page = requested.url.path
        text_hash = _HASH.findall(requested.text)[0]
        _submit(buyer, contract_page, f"{contract_page}/sign", text_sha256=text_hash)

        def at_nord() -> list[dict[str, Any]]:
            return [
                c
                for c in nord.get("/api/v1/contracts", "admin")
                if c["text_sha256"] == text_hash
            ]

        wait_until(lambda: len(at_nord()) == 1, what="the request reached nord")
        remote_page = f"/vertraege/{at_nord()[0]['id']}"
        _submit(
            provider, remote_page, f"{remote_page}/countersign", text_sha256=text_hash
        )
        wait_until(lambda: at_nord()[0]["state"] == "active", what="active at nord")
        local_id = int(contract_page.rsplit("/", 1)[1])
        wait_until(
            lambda: _contract(sued, "einkauf", local_id)["state"] == "active",
            what="active at sued",
        )
        mine, theirs = buyer.get(contract_page).text, provider.get(remote_page).text
        assert "aktiv" in mine
        assert "aktiv" in theirs
        assert "über Knoten nord" in mine
        assert "über Knoten sued" in theirs
