"""Concurrent signing across two real server processes on one SQLite file."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from tests.support.processes import start_marketplace

pytestmark = pytest.mark.slow


@pytest.fixture
def servers(tmp_path: Path) -> Iterator[tuple[Path, str, str]]:
    """Two ``marketplace serve`` processes on the same file (the first seeds the
    demo catalog), as two workers of one installation would run."""
    db_path = tmp_path / "shared.sqlite3"
    first, first_url = start_marketplace(db_path, tmp_path / "first.log")
    try:
        second, second_url = start_marketplace(
            db_path, tmp_path / "second.log", seed_demo=False
        )
    except BaseException:
        first.stop()
        raise
    yield db_path, first_url, second_url
    second.stop()
    first.stop()


def _token(base: str, login: str, password: str) -> dict[str, str]:
    response = httpx.post(
        f"{base}/api/v1/auth/tokens", json={"login": login, "password": password}
    )
    assert response.status_code in (200, 201), response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _current_dataport_version(db_path: Path) -> int:
    with sqlite3.connect(db_path) as conn:
        row = conn.execute(
            "SELECT v.id FROM offer_versions v JOIN offers o ON o.id = v.offer_id"
            " WHERE o.provider_id = 'dataport' AND o.withdrawn_at IS NULL"
            " AND v.status = 'published' AND NOT EXISTS (SELECT 1 FROM offer_versions n"
            " WHERE n.offer_id = v.offer_id AND n.status = 'published'"
            " AND n.version > v.version) ORDER BY v.id LIMIT 1"
        ).fetchone()
    assert row is not None, "the demo catalog has no current Dataport offer"
    return int(row[0])


def test_one_signature_wins_across_two_processes(
    servers: tuple[Path, str, str],
) -> None:
    """GIVEN a contract Dataport offered to Leipzig, served by two processes on one
    file WHEN eight signature requests hit both processes at the same moment THEN
    exactly one is accepted, the seven others get the German 409 problem, and the
    file holds one municipality signature and one sign event."""
    db_path, first, second = servers
    leipzig = _token(first, "leipzig-einkauf", "demo-leipzig")
    dataport = _token(second, "dataport-admin", "demo-dataport")
    created = httpx.post(
        f"{first}/api/v1/contracts",
        json={"offer_version_id": _current_dataport_version(db_path)},
        headers=leipzig,
    )
    assert created.status_code == 201, created.text
    contract = created.json()
    url = f"/api/v1/contracts/{contract['id']}"
    offered = httpx.post(f"{second}{url}/offer", headers=dataport)
    assert offered.status_code == 200, offered.text

    start = threading.Barrier(8)

    def sign(base: str) -> httpx.Response:
        with httpx.Client(base_url=base, timeout=30) as http:
            start.wait()
            return http.post(
                f"{url}/sign",
                json={"text_sha256": contract["text_sha256"]},
                headers=leipzig,
            )

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(sign, [first, second] * 4))

    assert sorted(r.status_code for r in results) == [200] + [409] * 7
    refused = [r.json() for r in results if r.status_code == 409]
    assert {p["type"] for p in refused} == {
        "urn:efa-marketplace:problem:invalid-transition"
    }
    with sqlite3.connect(db_path) as conn:
        signatures = conn.execute(
            "SELECT party FROM contract_signatures WHERE contract_id = ?",
            (contract["id"],),
        ).fetchall()
        signs = conn.execute(
            "SELECT COUNT(*) FROM contract_events WHERE contract_id = ?"
            " AND action = 'sign'",
            (contract["id"],),
        ).fetchone()
    assert signatures == [("municipality",)]
    assert signs == (1,)
