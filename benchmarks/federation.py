"""Federation benchmark: N marketplace nodes (real processes on loopback, full
mesh of peers) with ``--offers`` own offers each.

    .venv/bin/python benchmarks/federation.py            # N = 3, 5, 10; 2,000 offers
    .venv/bin/python benchmarks/federation.py --quick    # N = 3; 200 offers

Per N:

1. Each node's SQLite file gets its identity, the sample catalog
   (``marketplace.federation.sample``: the demo's reference data and ``--offers``
   published offers of its own providers) and every other node as a peer.
2. All nodes start (``marketplace serve``, pulling every ``--interval`` seconds).
   Measured: seconds from "all nodes answer" until every node holds all
   N x offers offers with equal catalog content hashes (full convergence).
3. Every node publishes a new version of 1 % of its offers (``node
   sample-change``, a separate process writing the same file). Measured: seconds
   until all hashes are equal again, and the bytes all nodes fetched from their
   peers in that time (feed pages including the polls that found nothing new),
   per changed offer and per changed offer and receiving node.

Incremental convergence should not grow with the catalog (only changes travel);
it grows with N because each node pulls from N - 1 peers in turn.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from marketplace.db import Database  # noqa: E402
from marketplace.federation import sample, service  # noqa: E402
from marketplace.federation.cli import CLI_OPERATOR  # noqa: E402
from marketplace.federation.keys import NodeKey, key_path  # noqa: E402
from marketplace.federation.schemas import PeerIn  # noqa: E402

MARKETPLACE = str(REPO / ".venv" / "bin" / "marketplace")


class Node:
    def __init__(self, index: int, folder: Path, port: int) -> None:
        self.name = f"knoten{index:02d}"
        self.index = index
        self.db = folder / f"{self.name}.sqlite3"
        self.base = f"http://127.0.0.1:{port}"
        self.port = port
        self.public_key = NodeKey.load_or_create(key_path(self.db)).public_hex
        self.process: subprocess.Popen[bytes] | None = None
        self.token = ""

    async def prepare(self, offers: int, peers: list[Node]) -> None:
        key = NodeKey.load_or_create(key_path(self.db))
        async with Database(self.db, readers=1) as db:
            await service.init_node(db, key, self.name, self.base)
            await sample.seed_sample(db, offers=offers, buyer_index=self.index)
            for other in peers:
                data = PeerIn(
                    name=other.name, base_url=other.base, public_key=other.public_key
                )
                await service.add_peer(db, CLI_OPERATOR, data)

    def start(self, interval: float) -> None:
        log = self.db.with_suffix(".log").open("wb")
        self.process = subprocess.Popen(
            [MARKETPLACE, "--db", str(self.db), "serve", "--port", str(self.port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "MARKETPLACE_FEDERATION_INTERVAL": str(interval)},
            start_new_session=True,
        )

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(15)

    def login(self) -> None:
        answer = httpx.post(
            f"{self.base}/api/v1/auth/tokens",
            json={
                "login": f"{self.name}-betrieb",
                "password": f"foederation-{self.name}",
            },
        )
        answer.raise_for_status()
        self.token = answer.json()["token"]

    def digest(self) -> tuple[str, int]:
        found = httpx.get(f"{self.base}/api/v1/federation/catalog-digest", timeout=60)
        found.raise_for_status()
        return found.json()["sha256"], found.json()["offers"]

    def fetched_bytes(self) -> int:
        peers = httpx.get(
            f"{self.base}/api/v1/federation/peers",
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=60,
        ).json()
        return sum(int(p["bytes_fetched"]) for p in peers)


def _free_ports(count: int) -> list[int]:
    import socket

    sockets = [socket.socket() for _ in range(count)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [int(sock.getsockname()[1]) for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def _wait_ready(nodes: list[Node]) -> None:
    for node in nodes:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{node.base}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"{node.name} did not start")
            time.sleep(0.1)


def _wait_converged(nodes: list[Node], total: int, timeout: float) -> float:
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        digests = {node.digest() for node in nodes}
        if len(digests) == 1 and next(iter(digests))[1] == total:
            return time.monotonic() - start
        time.sleep(0.2)
    raise TimeoutError(f"no convergence within {timeout} s")


def run(n: int, offers: int, interval: float, folder: Path) -> dict[str, float]:
    nodes = [Node(i, folder, port) for i, port in enumerate(_free_ports(n))]
    for node in nodes:
        asyncio.run(node.prepare(offers, [o for o in nodes if o is not node]))
    try:
        for node in nodes:
            node.start(interval)
        _wait_ready(nodes)
        full = _wait_converged(nodes, n * offers, timeout=1800)
        for node in nodes:
            node.login()
        before = sum(node.fetched_bytes() for node in nodes)
        changed = max(1, offers // 100)
        for node in nodes:
            subprocess.run(
                [
                    MARKETPLACE,
                    "--db",
                    str(node.db),
                    "node",
                    "sample-change",
                    "--count",
                    str(changed),
                ],
                check=True,
                capture_output=True,
            )
        incremental = _wait_converged(nodes, n * offers, timeout=600)
        moved = sum(node.fetched_bytes() for node in nodes) - before
    finally:
        for node in nodes:
            node.stop()
    changes = changed * n
    return {
        "full_s": full,
        "incremental_s": incremental,
        "changed": changes,
        "bytes_per_change": moved / changes,
        "bytes_per_change_and_receiver": moved / changes / (n - 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="N = 3, 200 offers")
    parser.add_argument("--offers", type=int, default=None)
    parser.add_argument("--nodes", type=int, nargs="*", default=None)
    parser.add_argument("--interval", type=float, default=1.0)
    args = parser.parse_args()
    offers = args.offers or (200 if args.quick else 2000)
    sizes = args.nodes or ([3] if args.quick else [3, 5, 10])
    print(
        f"{offers} offers per node, pull interval {args.interval} s, "
        f"{os.cpu_count()} CPUs\n"
    )
    header = (
        f"{'N':>3} {'offers':>7} {'full (s)':>9} {'1 % changed':>11} "
        f"{'incr. (s)':>9} {'B/change':>9} {'B/change/recv':>13}"
    )
    print(header)
    for n in sizes:
        with tempfile.TemporaryDirectory(prefix="federation-bench-") as tmp:
            r = run(n, offers, args.interval, Path(tmp))
        print(
            f"{n:>3} {n * offers:>7} {r['full_s']:>9.1f} {int(r['changed']):>11} "
            f"{r['incremental_s']:>9.1f} {r['bytes_per_change']:>9.0f} "
            f"{r['bytes_per_change_and_receiver']:>13.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
