"""Marketplace benchmark: catalog search and cost calculation against a trivial
endpoint on the same server, measured side by side in one run.

    .venv/bin/python benchmarks/marketplace.py            # 10,000 offers, 11,000 municipalities
    .venv/bin/python benchmarks/marketplace.py --quick    # smaller and shorter

A database is built with bulk SQL, the real app is served by uvicorn in a separate
process (with one extra trivial handler registered on the same app), and this
process drives concurrent HTTP requests. Rounds interleave the endpoints so that
noise from other work on the machine hits all of them alike. Targets (issue 2):
search throughput >= 25 % of the trivial endpoint's, search p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

WORDS = [
    "Parkausweis", "Wohngeld", "Ummeldung", "Geburtsurkunde", "Baugenehmigung",
    "Gewerbe", "Hundesteuer", "Elterngeld", "Führungszeugnis", "Kita", "Sperrmüll",
    "Einbürgerung", "Aufenthalt", "Fahrerlaubnis", "Zulassung", "Halteverbot",
]  # fmt: skip
TOPICS = ["Mobilität & Reisen", "Bauen & Wohnen", "Familie & Kind", "Querschnitt"]
LAENDER = [f"{n:02d}" for n in range(1, 17)]


def build_database(path: Path, *, offers: int, municipalities: int) -> None:
    """Bulk-load a catalog of the requested size through the real migrations."""
    from marketplace.db import Database

    async def migrate() -> None:
        async with Database(path, readers=1):
            pass

    asyncio.run(migrate())
    rng = random.Random(7)  # noqa: S311 - reproducible test data, not secrets
    now = "2026-01-01T00:00:00+00:00"
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO laender VALUES (?, ?, ?, ?)",
            [(c, f"L{c}", f"Land {c}", 5_000_000) for c in LAENDER],
        )
        conn.executemany(
            "INSERT INTO municipalities (ags, name, kind, land_code, population)"
            " VALUES (?, ?, ?, ?, ?)",
            _municipalities(rng, municipalities),
        )
        providers = [
            (
                f"anbieter-{n}",
                f"Anbieter {n}",
                "public_it_provider",
                rng.choice(LAENDER),
                now,
            )
            for n in range(200)
        ]
        conn.executemany(
            "INSERT INTO providers (id, name, kind, land_code, created_at) VALUES (?, ?, ?, ?, ?)",
            providers,
        )
        services = max(1, offers // 5)
        conn.executemany(
            "INSERT INTO services (id, leika_key, title, summary, ozg_bundle, topic,"
            " maturity, trust_level, delivery_standard, has_test_instance, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 'substantiell', 'PDF', 1, ?)",
            [
                (n + 1, f"99{n:012d}", f"{rng.choice(WORDS)} {n}", "Onlinedienst",
                 "OZG", rng.choice(TOPICS), rng.randint(2, 4), now)
                for n in range(services)
            ],
        )  # fmt: skip
        conn.executemany(
            "INSERT INTO service_life_situations VALUES (?, ?)",
            [
                (n + 1, rng.choice(["Umzug", "Geburt", "Hausbau"]))
                for n in range(services)
            ],
        )
        rows = []
        for n in range(offers):
            provider = providers[(n // services + n) % len(providers)][0]
            service_id = n % services + 1
            rows.append((n + 1, provider, service_id, now))
        conn.executemany(
            "INSERT INTO offers (id, provider_id, service_id, created_at) VALUES (?, ?, ?, ?)",
            rows,
        )
        conn.execute(
            "INSERT INTO offer_versions (id, offer_id, version, status, title, description,"
            " legal_route, cost_model, contract_template, notice_period_months, created_at,"
            " published_at, reference_annual_cents)"
            " SELECT id, id, 1, 'draft', 'Angebot ' || id, 'Betrieb als SaaS', 'direct', ?,"
            " 'Vertrag {{anbieter}}', 6, ?, NULL, NULL FROM offers",
            (json.dumps(_cost_model()), now),
        )
        conn.execute(
            "UPDATE offer_versions SET status = 'published', published_at = created_at,"
            " reference_annual_cents = 100000 + (id * 7919) % 3000000"
        )
        conn.execute(
            "INSERT INTO catalog_current SELECT offer_id, id FROM offer_versions"
        )
        conn.execute(
            "INSERT INTO catalog_fts (rowid, title, service_title, body)"
            " SELECT v.id, v.title, s.title, s.summary || ' ' || p.name FROM offer_versions v"
            " JOIN offers o ON o.id = v.offer_id JOIN services s ON s.id = o.service_id"
            " JOIN providers p ON p.id = o.provider_id"
        )
    os.sync()


def _municipalities(
    rng: random.Random, count: int
) -> list[tuple[str, str, str, str, int]]:
    rows, seen = [], set()
    while len(rows) < count:
        land = rng.choice(LAENDER)
        kreis = rng.randint(1, 99)
        gemeinde = rng.randint(0, 999)
        ags = f"{land}{rng.randint(0, 9)}{kreis:02d}{gemeinde:03d}"
        if ags in seen:
            continue
        seen.add(ags)
        kind = "landkreis" if gemeinde == 0 else "kreisfreie_stadt"
        rows.append((ags, f"Kommune {ags}", kind, land, rng.randint(2_000, 600_000)))
    return rows


def _cost_model() -> dict[str, object]:
    return {
        "components": [
            {"kind": "one_off", "label": "Anbindung", "amount_cents": 250_000},
            {
                "kind": "per_inhabitant",
                "label": "Betrieb",
                "cents_per_1000_inhabitants": 2_000,
            },
            {"kind": "land_share", "label": "Land", "annual_total_cents": 120_000_000},
        ]
    }


def serve(db: Path, port: int) -> None:
    """Run the real app plus one trivial handler under uvicorn (child process)."""
    import uvicorn
    from litestar import get

    from marketplace.app import create_app
    from marketplace.settings import Settings

    @get("/bench/trivial", sync_to_thread=False)
    def trivial() -> dict[str, str]:
        return {"status": "ok"}

    app = create_app(Settings(db_path=db, read_connections=4))
    app.register(trivial)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


async def measure(
    client: httpx.AsyncClient,
    urls: list[str],
    *,
    seconds: float,
    concurrency: int,
    headers: dict[str, str],
) -> list[float]:
    """Latencies (s) of requests made by ``concurrency`` workers for ``seconds``."""
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker(offset: int) -> None:
        n = offset
        while time.perf_counter() < deadline:
            start = time.perf_counter()
            response = await client.get(urls[n % len(urls)], headers=headers)
            latencies.append(time.perf_counter() - start)
            if response.status_code != 200:
                raise RuntimeError(
                    f"{urls[n % len(urls)]}: {response.status_code} {response.text[:200]}"
                )
            n += concurrency

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    return latencies


def _search_urls(rng: random.Random) -> list[str]:
    urls = []
    for _ in range(200):
        params: dict[str, str] = {"q": rng.choice(WORDS)}
        if rng.random() < 0.5:
            params["topic"] = rng.choice(TOPICS)
        if rng.random() < 0.3:
            params["land"] = rng.choice(LAENDER)
        urls.append("/api/v1/catalog/search?" + httpx.QueryParams(params).__str__())
    return urls


async def run_load(
    base: str, args: argparse.Namespace, ags: list[str], token: str
) -> dict[str, list[float]]:
    rng = random.Random(11)  # noqa: S311 - reproducible load, not secrets
    endpoints = {
        "trivial": ["/bench/trivial"],
        "search": _search_urls(rng),
        "search as municipality": _search_urls(rng),
        "cost calculation": [
            f"/api/v1/offer-versions/{rng.randint(1, args.offers)}/quote?ags={rng.choice(ags)}"
            for _ in range(200)
        ],
    }
    results: dict[str, list[float]] = {}
    limits = httpx.Limits(max_connections=args.concurrency)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        for urls in endpoints.values():  # warm-up
            await measure(client, urls, seconds=0.5, concurrency=2, headers={})
        for _ in range(args.rounds):
            for name, urls in endpoints.items():
                auth = {"Authorization": f"Bearer {token}"}
                headers = auth if "municipality" in name else {}
                for mode, clients in (("load", args.concurrency), ("latency", 1)):
                    results.setdefault(f"{mode}:{name}", [])
                    results[f"{mode}:{name}"] += await measure(
                        client,
                        urls,
                        seconds=args.seconds,
                        concurrency=clients,
                        headers=headers,
                    )
    return results


def report(
    results: dict[str, list[float]], seconds_each: float, concurrency: int
) -> None:
    """Throughput under load and latency of a single client, with the ratios."""
    trivial_rate = len(results["load:trivial"]) / seconds_each
    print(
        f"\n{'endpoint':24} {'req/s':>7} {'vs trivial':>10}"
        f" | {'p50 ms':>7} {'p99 ms':>7}  (one client)   | p99 ms at {concurrency} clients"
    )
    for key in results:
        if not key.startswith("load:"):
            continue
        name = key.removeprefix("load:")
        rate = len(results[key]) / seconds_each
        single = sorted(results[f"latency:{name}"])
        loaded = sorted(results[key])
        print(
            f"{name:24} {rate:7.0f} {rate / trivial_rate:10.0%} | {_ms(single, 0.5):7.1f}"
            f" {_ms(single, 0.99):7.1f}                 | {_ms(loaded, 0.99):7.1f}"
        )
    ratio = len(results["load:search"]) / len(results["load:trivial"])
    p99 = _ms(sorted(results["latency:search"]), 0.99)
    print(
        f"\ntarget search >= 25 % of trivial: {ratio:.0%} -> {'met' if ratio >= 0.25 else 'NOT met'}"
        f"\ntarget search p99 < 50 ms (one client): {p99:.1f} ms -> {'met' if p99 < 50 else 'NOT met'}"
    )


def _ms(ordered: list[float], quantile: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * quantile))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="1,000 offers, short rounds"
    )
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--municipalities", type=int, default=11_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--seconds", type=float, default=5.0, help="per endpoint and round"
    )
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument(
        "--serve", nargs=2, metavar=("DB", "PORT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve[0]), int(args.serve[1]))
        return 0
    if args.quick:
        args.offers, args.municipalities, args.rounds, args.seconds = (
            1_000,
            2_000,
            2,
            2.0,
        )
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "bench.sqlite3"
        started = time.perf_counter()
        build_database(db, offers=args.offers, municipalities=args.municipalities)
        print(
            f"built {args.offers} offers, {args.municipalities} municipalities in {time.perf_counter() - started:.1f} s"
        )
        ags, token = _buyer(db)
        port = _free_port()
        server = subprocess.Popen(
            [sys.executable, __file__, "--serve", str(db), str(port)], cwd=REPO
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait(base)
            results = asyncio.run(run_load(base, args, ags, token))
        finally:
            server.send_signal(signal.SIGTERM)
            server.wait(30)
    print(
        f"{args.rounds} interleaved rounds of {args.seconds} s per endpoint, {args.concurrency} concurrent clients, one server process"
    )
    report(results, args.rounds * args.seconds, args.concurrency)
    return 0


def _buyer(db: Path) -> tuple[list[str], str]:
    """Some AGS to price for, and a municipality buyer's token."""
    from marketplace.db import Database
    from marketplace.identity import service as identity
    from marketplace.identity.schemas import Role

    async def make() -> tuple[list[str], str]:
        async with Database(db, readers=1) as database:
            async with (
                database.read() as conn,
                conn.execute("SELECT ags FROM municipalities LIMIT 500") as cur,
            ):
                ags = [row[0] for row in await cur.fetchall()]
            await identity.create_user(
                database,
                login="bench",
                display_name="Bench",
                password="bench-password",  # noqa: S106 - a throwaway benchmark account
                role=Role.MUNICIPALITY_BUYER,
                municipality_ags=ags[0],
            )
            principal = await identity.authenticate(database, "bench", "bench-password")
            return ags, (await identity.issue_token(database, principal, "bench")).token

    return asyncio.run(make())


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(base: str) -> None:
    for _ in range(200):
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError("server did not start")


if __name__ == "__main__":
    raise SystemExit(main())
