"""A crafted peer: a tiny real HTTP server in the test process that serves feeds
signed with its own Ed25519 key, built entry by entry by the test, so that it
can lie (forged, replayed, out-of-order, oversized entries, a skewed clock) in
ways a real marketplace node never does."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import msgspec

from marketplace.costs.schemas import CostModel
from marketplace.federation.keys import NodeKey
from marketplace.federation.schemas import (
    FeedHead,
    FeedPage,
    OfferVersionEntry,
    OfferWithdrawnEntry,
    ProviderData,
    ServiceData,
    Signed,
    VersionData,
)

# Services of the demo files every sample node holds (matched by LeiKa key).
LEIKA = [f"99990000{n:03d}000" for n in range(1, 13)]
TEMPLATE = "Nachnutzungsvereinbarung zwischen {{anbieter}} und {{kommune}}."
Serve = Callable[[int, int], FeedPage]


class CraftedPeer:
    def __init__(self, name: str) -> None:
        self.name = name
        self.key = NodeKey.generate()
        self.serve: Serve = lambda after, limit: self.page([])
        self.requests: list[tuple[int, int]] = []
        self.base = ""

    def entry(
        self,
        seq: int,
        offer: int,
        *,
        version: int = 1,
        at: str = "2026-11-23T02:00:00Z",
        description: str = "Ein Angebot.",
    ) -> OfferVersionEntry:
        return OfferVersionEntry(
            node=self.name,
            seq=seq,
            at=at,
            offer_id=offer,
            provider=ProviderData(
                id=f"{self.name}-p0",
                name=f"Anbieter {self.name}",
                kind="public_it_provider",
            ),
            service=ServiceData(
                leika_key=LEIKA[offer % len(LEIKA)],
                title="Dienst",
                ozg_bundle="B",
                topic="T",
                maturity=3,
                trust_level="substantiell",
                delivery_standard="PDF",
            ),
            version=VersionData(
                id=offer * 100 + version,
                version=version,
                title=f"Angebot {offer} v{version} von {self.name}",
                description=description,
                legal_route="direct",
                cost_model=msgspec.convert(
                    {
                        "components": [
                            {
                                "kind": "annual_flat",
                                "label": "Betrieb",
                                "amount_cents": 50_000,
                            }
                        ]
                    },
                    CostModel,
                ),
                contract_template=TEMPLATE,
                notice_period_months=6,
                published_at=at,
                reference_annual_cents=50_000,
            ),
        )

    def tombstone(self, seq: int, offer: int) -> OfferWithdrawnEntry:
        return OfferWithdrawnEntry(
            node=self.name,
            seq=seq,
            at="2026-11-23T02:00:00Z",
            offer_id=offer,
            provider_id=f"{self.name}-p0",
            leika_key=LEIKA[offer % len(LEIKA)],
            withdrawn_at="2026-11-23T02:00:00Z",
        )

    def sign(self, entry: Any) -> Signed:
        return self.key.sign(entry)

    def page(
        self,
        entries: list[Signed],
        *,
        last_seq: int | None = None,
        at: str = "2026-11-23T02:00:00Z",
    ) -> FeedPage:
        if last_seq is None:
            seqs = [msgspec.json.decode(e.body)["seq"] for e in entries]
            last_seq = max(seqs, default=0)
        head = self.key.sign(FeedHead(node=self.name, last_seq=last_seq, at=at))
        return FeedPage(node=self.name, head=head, entries=entries)

    def serve_log(self, log: dict[int, Signed]) -> None:
        """Serve ``log`` honestly: entries after the cursor, in order."""

        def serve(after: int, limit: int) -> FeedPage:
            chosen = [log[s] for s in sorted(log) if s > after][:limit]
            return self.page(chosen, last_seq=max(log, default=0))

        self.serve = serve

    @contextmanager
    def running(self) -> Iterator[CraftedPeer]:
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                query = parse_qs(urlparse(self.path).query)
                after = int(query.get("after", ["0"])[0])
                limit = int(query.get("limit", ["500"])[0])
                peer.requests.append((after, limit))
                body = msgspec.json.encode(peer.serve(after, limit))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{server.server_address[1]}"
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            server.shutdown()
            server.server_close()
