"""Preparing the marketplace for the flow: idempotent seeding, Dresden's
subscriptions for the sample mail, and a station credential that must belong to
this database's station."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from appliance.enrolment import CREDENTIAL_FILE, Credential
from marketplace.db import Database
from marketplace.delivery import service as delivery
from marketplace.demo.delivery import principal
from marketplace.demo.flow import FlowConfig
from marketplace.demo.flow.prepare import prepare_marketplace
from marketplace.demo.mail import MAIL_SERVICES
from marketplace.demo.receivers import Ports
from marketplace.identity import secrets
from marketplace.subscriptions import service as subscriptions


async def test_seeding_twice_adds_nothing_and_a_stale_credential_is_replaced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN an empty state folder
    WHEN the marketplace is prepared, a credential of another database's station
    is put into the station's folder, and it is prepared again
    THEN the first run created the four sample-mail subscriptions and issued an
    enrolment token; the second created none, removed the stale credential and
    issued a new token (the station enrols again instead of signing with a key
    this marketplace does not know)."""
    monkeypatch.setattr(secrets, "_N", 2**8)
    config = FlowConfig(var=tmp_path)
    notes, token = await prepare_marketplace(config)
    assert f"{len(MAIL_SERVICES)} Abonnements" in notes[2]
    assert token is not None
    config.credential_dir.mkdir(parents=True)
    stale = Credential(
        appliance_id=999,
        name="scanstation-dresden",
        municipality_ags="14612000",
        marketplace_url=config.marketplace_url,
        key_fingerprint="SHA256:stale",
        enrolled_at="2026-01-01T00:00:00+00:00",
    )
    (config.credential_dir / CREDENTIAL_FILE).write_bytes(msgspec.json.encode(stale))
    notes, again = await prepare_marketplace(config)
    assert "0 Abonnements" in notes[2]
    assert "besteht bereits" in notes[1]
    assert again is not None
    assert again != token
    assert not config.credential_dir.exists()


async def test_routes_follow_the_receivers_to_other_ports(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN a state folder prepared for receivers on the default ports
    WHEN it is prepared again for receivers on other ports (--receiver-ports)
    THEN every HTTP route of Dresden's subscriptions goes to the new ports, the
    drop folders stay where they were, and no route is added."""
    monkeypatch.setattr(secrets, "_N", 2**8)
    first = FlowConfig(var=tmp_path)
    await prepare_marketplace(first)
    before = await _routes(first)
    moved = Ports(18301, 18302, 18303)
    await prepare_marketplace(msgspec.structs.replace(first, receiver_ports=moved))
    after = await _routes(first)
    assert sorted(after) == sorted(before)
    http = {name: end for name, end in after.items() if end.startswith("http")}
    assert len(http) >= 4
    old_ports = {str(p) for p in first.receiver_ports}
    for name, end in http.items():
        assert end.rsplit(":", 1)[1] in {"18301", "18302", "18303"}, name
        assert end.rsplit(":", 1)[1] not in old_ports, name
    folders = {n: e for n, e in after.items() if e.startswith("file:")}
    assert folders == {n: e for n, e in before.items() if e.startswith("file:")}


async def _routes(config: FlowConfig) -> dict[str, str]:
    """Route name -> endpoint of every subscription of Dresden."""
    async with Database(config.db) as db:
        dresden = await principal(db, "dresden-einkauf")
        found = {}
        for sub in await subscriptions.subscriptions(db, dresden):
            for route in await delivery.routes(db, dresden, sub.id):
                found[f"{sub.id}/{route.name}"] = route.endpoint
    return found
