"""Helpers of the delivery tests: subscribe, add routes, submit, wait, count."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.connectors.conftest import (
    Receiver,
    eakte_settings,
    fitconnect_settings,
    webhook_settings,
)
from tests.connectors.samples import APPLICANT, fake_pdf
from tests.marketplace.contracts.flow import Client, Headers, Parties

LEIKA = "99070004012000"  # the service of ``seed_offer``
LEIPZIG = "14713000"
Item = dict[str, Any]


@dataclass(frozen=True)
class Subscribed:
    id: str
    parties: Parties

    @property
    def owner(self) -> Headers:
        return self.parties.leipzig

    @property
    def base(self) -> str:
        return f"/api/v1/subscriptions/{self.id}"


async def subscribe(
    client: Client, parties: Parties, contract_id: int, environment: str
) -> Subscribed:
    sub_id = f"{environment}-{uuid.uuid4().hex[:8]}"
    answer = await client.put(
        f"/api/v1/subscriptions/{sub_id}",
        json={
            "contract_id": contract_id,
            "environment": environment,
            "endpoint_url": f"https://fv.leipzig.example/{environment}",
            "fachverfahren": "OK.VERKEHR",
        },
        headers=parties.leipzig,
    )
    assert answer.status_code == 201, answer.text
    return Subscribed(sub_id, parties)


def settings_for(kind: str, receiver: Receiver | None, folder: Path | None) -> Item:
    if kind == "webhook":
        assert receiver is not None
        return webhook_settings(receiver, timeout=2.0)
    if kind == "xdomea":
        assert receiver is not None
        return eakte_settings(receiver, timeout=2.0)
    if kind == "fitconnect":
        assert receiver is not None
        return fitconnect_settings(receiver, timeout=3.0, confirm_timeout=3.0)
    assert folder is not None
    return {"path": str(folder), "min_free_bytes": 0}


async def add_route(
    client: Client,
    sub: Subscribed,
    name: str,
    kind: str,
    settings: Item,
    environment: str = "production",
) -> Item:
    answer = await client.post(
        f"{sub.base}/routes",
        json={
            "name": name,
            "environment": environment,
            "kind": kind,
            "settings": settings,
        },
        headers=sub.owner,
    )
    assert answer.status_code == 201, answer.text
    route: Item = answer.json()
    return route


def payload(
    *, test: bool = False, size: int = 2048, external: str | None = None
) -> Item:
    """An online submission with a name in its data and in a file name."""
    content = fake_pdf(size, uuid.uuid4().hex)
    document = {
        "document_id": f"doc-{uuid.uuid4().hex[:12]}",
        "filename": f"Antrag {APPLICANT}.pdf",
        "media_type": "application/pdf",
        "sha256": hashlib.sha256(content).hexdigest(),
        "size": len(content),
        "content": base64.b64encode(content).decode(),
    }
    body: Item = {
        "test": test,
        "metadata": {
            "leika": LEIKA,
            "ags": LEIPZIG,
            "office": "Ordnungsamt",
            "received_at": datetime.now(UTC).isoformat(),
            "channel": "online",
            "identification_level": "substantial",
            "subject": "Bewohnerparkausweis",
        },
        "data": {"antragsteller": {"name": APPLICANT}, "kennzeichen": "L-EF 123"},
        "documents": [document],
    }
    if external is not None:
        body["submission_id"] = external
    return body


async def submit(client: Client, sub: Subscribed, **options: Any) -> Item:
    answer = await client.post(
        f"{sub.base}/submissions", json=payload(**options), headers=sub.owner
    )
    assert answer.status_code == 201, answer.text
    found: Item = answer.json()
    return found


async def outbox(
    client: Client, sub: Subscribed, state: str | None = None
) -> list[Item]:
    query = {"limit": 1000, **({"state": state} if state else {})}
    answer = await client.get(f"{sub.base}/outbox", params=query, headers=sub.owner)
    assert answer.status_code == 200, answer.text
    items: list[Item] = answer.json()
    return items


async def settled(
    client: Client, sub: Subscribed, within: float = 20.0, expect: int | None = None
) -> list[Item]:
    """Wait until no outbox row is pending or in flight; return all rows."""
    deadline = time.monotonic() + within
    while True:
        items = await outbox(client, sub)
        busy = [i for i in items if i["state"] in ("pending", "in_flight")]
        if not busy and (expect is None or len(items) >= expect):
            return items
        assert time.monotonic() < deadline, f"not settled: {busy}"
        await asyncio.sleep(0.05)


async def until(check: Callable[[], Awaitable[bool]], within: float = 20.0) -> None:
    deadline = time.monotonic() + within
    while not await check():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.05)


def received(receiver: Receiver, keys: set[str]) -> dict[str, Item]:
    """The receiver's inbox entries for ``keys`` (one entry per key at most)."""
    entries = receiver.received("")
    return {e["key"]: e for e in entries if e["key"] in keys}
