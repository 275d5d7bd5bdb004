"""Three marketplace nodes per test module (real processes, see ``cluster.py``).

With the PostgreSQL backend (tests/marketplace/postgres/federation/) nodes nord
and sued run on PostgreSQL with two workers each and ost stays on SQLite: a
mixed federation has to converge to the same content hash as a uniform one."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.marketplace.federation.cluster import Node, start_cluster

OFFERS = {"nord": 6, "sued": 4, "ost": 3}


def database_urls(backend_url: Callable[[], str]) -> dict[str, str]:
    """Nord's and sued's databases on the PostgreSQL backend; none on SQLite."""
    urls = {name: backend_url() for name in ("nord", "sued")}
    return {name: url for name, url in urls.items() if url}


@pytest.fixture(scope="module")
def cluster(
    tmp_path_factory: pytest.TempPathFactory, backend_url: Callable[[], str]
) -> Iterator[list[Node]]:
    folder: Path = tmp_path_factory.mktemp("federation")
    nodes = start_cluster(folder, OFFERS, database_urls=database_urls(backend_url))
    try:
        yield nodes
    finally:
        for node in nodes:
            node.stop()


def new_version(node: Node, offer_id: int, note: str) -> int:
    """Publish a new version of one of the node's own offers as its provider
    admin, through the API; returns the version number."""
    offer = node.get(f"/api/v1/offers/{offer_id}", "admin")
    current = offer["versions"][-1]
    body = {
        key: current[key]
        for key in (
            "title",
            "description",
            "legal_route",
            "cost_model",
            "contract_template",
            "notice_period_months",
            "land_code",
        )
    }
    body["description"] = f"{body['description']} {note}"
    created = node.call(
        "POST", f"/api/v1/offers/{offer_id}/versions", "admin", json=body
    )
    assert created.status_code == 201, created.text
    number = int(created.json()["version"])
    published = node.call(
        "POST", f"/api/v1/offers/{offer_id}/versions/{number}/publish", "admin"
    )
    assert published.status_code in (200, 201), published.text
    return number


def own_offers(node: Node) -> list[dict[str, object]]:
    """The offers of the node's provider ``<node>-p0`` (its admin's)."""
    found: list[dict[str, object]] = node.get(
        "/api/v1/offers", "admin", provider=f"{node.name}-p0"
    )
    return found
