"""The final count of the reliability suite: every letter page is in exactly one
committed document, every committed document is at the marketplace intake once
and at each receiver exactly once (or a dead letter with its reason), and every
PDF the E-Akte received verifies with ``appliance verify``."""

from __future__ import annotations

import hashlib
import subprocess
import time
from dataclasses import dataclass, field

from cryptography.hazmat.primitives import serialization

from appliance.integrity import load_or_create_key
from appliance.outbox import Entry, State
from tests.connectors.conftest import Receiver
from tests.support.processes import VENV_BIN

from .market import ROUTES, LiveMarket
from .station import LiveStation


@dataclass
class Count:
    pages: int = 0
    documents: int = 0
    delivered: dict[str, int] = field(default_factory=dict)  # per route
    dead: list[str] = field(default_factory=list)  # reasons
    verified: int = 0


def settle(
    station: LiveStation, market: LiveMarket, within: float, *, documents: int
) -> None:
    """Wait until the station sent all and the marketplace finished every row."""
    deadline = time.monotonic() + within
    while True:
        counts = station.outbox.counts()
        rows = market.query("SELECT COUNT(*) FROM intake_documents")[0][0]
        states = market.outbox_states()
        busy = states.get("pending", 0) + states.get("in_flight", 0)
        done = counts[State.DELIVERED] + counts[State.DEAD] >= documents
        if (
            done
            and counts[State.PENDING] == 0
            and not busy
            and rows >= documents - counts[State.DEAD]
        ):
            return
        assert time.monotonic() < deadline, (
            f"not settled: station {counts}, intake {rows}, marketplace {states}\n"
            f"{station.output()}"
        )
        time.sleep(0.3)


def account(
    station: LiveStation,
    market: LiveMarket,
    receivers: dict[str, Receiver],
    *,
    pages: int,
    documents: int,
    signed: bool = True,
) -> Count:
    """Count everything; fail at the first contradiction. ``signed``: the
    documents came from the station's pipeline, so each PDF must verify."""
    count = Count()
    entries = station.outbox.entries(limit=100_000)
    count.pages = sum(e.metadata.page_count for e in entries)
    count.documents = len(entries)
    assert (count.pages, count.documents) == (pages, documents), _names(entries)
    sent = {e.sha256 for e in entries if e.state == State.DELIVERED}
    count.dead += [e.last_error for e in entries if e.state == State.DEAD]
    assert all(count.dead), "a dead letter without its reason"
    intake = market.query("SELECT sha256, deliveries FROM intake_documents")
    assert {sha for sha, _ in intake} == sent
    assert len(intake) == len(sent)
    rows = market.query(
        "SELECT s.intake_sha256, r.name, o.state, o.last_reason, o.idempotency_key"
        " FROM delivery_outbox o JOIN delivery_submissions s ON s.id = o.submission_id"
        " JOIN delivery_routes r ON r.id = o.route_id WHERE s.source = 'intake'"
    )
    assert len(rows) == len(sent) * len(ROUTES), len(rows)
    for kind, name in ROUTES.items():
        mine = [r for r in rows if r[1] == name]
        assert {r[0] for r in mine} == sent
        keys = {r[4] for r in mine if r[2] == "delivered"}
        dead = [r[3] for r in mine if r[2] == "dead"]
        assert len(keys) + len(dead) == len(sent), [r[2] for r in mine]
        assert all(dead), "a dead letter without its reason"
        count.dead += dead
        arrived = {e["key"] for e in receivers[kind].received("")}
        assert arrived == keys, (len(arrived), len(keys))
        count.delivered[kind] = len(keys)
    if signed:
        count.verified = verify_eakte(station, receivers["eakte"], sent)
        assert count.verified == count.delivered["eakte"]
    return count


def verify_eakte(station: LiveStation, eakte: Receiver, sent: set[str]) -> int:
    """``appliance verify`` with the station's public key on every received PDF."""
    pdfs = sorted((eakte.data / "akten").glob("*/*.pdf"))
    hashes = [hashlib.sha256(p.read_bytes()).hexdigest() for p in pdfs]
    assert len(hashes) == len(set(hashes)), "a PDF stored twice at the E-Akte"
    assert set(hashes) <= sent
    if not pdfs:
        return 0
    public = station.root / "appliance-public.pem"
    key = load_or_create_key(station.root / "zustand" / "appliance-key.pem")
    public.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
    )
    argv = [str(VENV_BIN / "appliance"), "verify", "--key", str(public)]
    checked = subprocess.run(
        [*argv, *map(str, pdfs)], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    return len(pdfs)


def _names(entries: list[Entry]) -> list[tuple[str, int, str]]:
    return [(e.metadata.filename, e.metadata.page_count, e.state) for e in entries]
