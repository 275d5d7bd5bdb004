"""Marketplace benchmark: catalog search and cost calculation against a trivial
endpoint served by the same server, measured side by side in one run.

    .venv/bin/python benchmarks/marketplace.py           # 3 rounds of 5 s each
    .venv/bin/python benchmarks/marketplace.py --quick   # 2 rounds of 1.5 s each

1. A SQLite catalog is built through the real migrations: the 16 Länder with their
   populations, 11,000 municipalities shaped like Germany's (kreisfreie Städte,
   Landkreise and their Gemeinden, populations adding up to each Land), ~60
   providers, 600 services and 10,000 offers with a spread of cost models. Rows go
   in with bulk SQL; the search index is written by the catalog's own
   ``set_current``, and each version's reference price by the real ``Quoter``.
2. The real app (``create_app``) plus one trivial handler registered on it runs
   under uvicorn in a separate process on loopback. A second extra handler answers
   the anonymous search requests as cache misses (a new ``SearchCache`` each
   time), so the cost of a page nobody asked for before is measured beside the
   realistic mix, in which the ~200 distinct search URLs repeat and are mostly
   answered from the cache after the first round.
3. This process drives concurrent requests with httpx. Rounds interleave the
   endpoints (rotating their order) so noise on the machine hits all alike.

Printed per endpoint: throughput under load and its ratio to the trivial endpoint,
the server's CPU time per request (read from /proc, independent of how fast this
client is) and that ratio, and p50/p99 latency under load and for a single client.
Targets (issue 2): search >= 25 % of the trivial endpoint's throughput, p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import msgspec
from litestar import Request as HttpRequest

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from marketplace.catalog import repository as catalog  # noqa: E402
from marketplace.catalog.schemas import SearchPage, SearchQuery  # noqa: E402
from marketplace.catalog.search_cache import SearchCache  # noqa: E402
from marketplace.costs.calculator import split_exact  # noqa: E402
from marketplace.costs.schemas import CostModel  # noqa: E402
from marketplace.costs.service import Quoter  # noqa: E402
from marketplace.db import Connection, Database  # noqa: E402
from marketplace.identity import service as identity  # noqa: E402
from marketplace.identity.schemas import Role  # noqa: E402

NOW = "2026-01-01T00:00:00+00:00"
SEARCH = "/api/v1/catalog/search"
UNCACHED = "search, every page new"
# code, abbreviation, name, population (Destatis 31.12.2023, rounded), kreisfreie
# Städte, Landkreise, Gemeinden in Landkreisen (official counts, rounded).
LAENDER = [
    ("01", "SH", "Schleswig-Holstein", 2_953_270, 4, 11, 1_100),
    ("02", "HH", "Hamburg", 1_892_122, 0, 0, 0),
    ("03", "NI", "Niedersachsen", 8_140_242, 8, 37, 933),
    ("04", "HB", "Bremen", 684_864, 2, 0, 0),
    ("05", "NW", "Nordrhein-Westfalen", 18_139_116, 22, 31, 374),
    ("06", "HE", "Hessen", 6_391_360, 5, 21, 416),
    ("07", "RP", "Rheinland-Pfalz", 4_159_150, 12, 24, 2_289),
    ("08", "BW", "Baden-Württemberg", 11_280_257, 9, 35, 1_092),
    ("09", "BY", "Bayern", 13_369_393, 25, 71, 2_031),
    ("10", "SL", "Saarland", 993_260, 0, 6, 52),
    ("11", "BE", "Berlin", 3_755_251, 0, 0, 0),
    ("12", "BB", "Brandenburg", 2_573_135, 4, 14, 409),
    ("13", "MV", "Mecklenburg-Vorpommern", 1_628_378, 2, 6, 724),
    ("14", "SN", "Sachsen", 4_086_152, 3, 10, 415),
    ("15", "ST", "Sachsen-Anhalt", 2_186_643, 3, 11, 215),
    ("16", "TH", "Thüringen", 2_126_846, 5, 17, 600),
]
TOPICS = [
    "Arbeit & Ruhestand", "Bauen & Wohnen", "Bildung", "Ein- & Auswanderung",
    "Engagement & Hobby", "Familie & Kind", "Forschung & Förderung", "Gesundheit",
    "Mobilität & Reisen", "Querschnitt", "Recht & Ordnung", "Steuern & Zoll",
    "Umwelt", "Unternehmensführung",
]  # fmt: skip
LIFE_SITUATIONS = [
    "Geburt", "Umzug", "Heirat", "Hausbau", "Unternehmensgründung", "Ruhestand",
    "Studium", "Todesfall", "Fahrzeug", "Haustier",
]  # fmt: skip
SERVICES = [
    "Bewohnerparkausweis", "Besucherparkausweis", "Halteverbotszone bei Umzügen",
    "Wohngeld", "Elterngeld", "Ummeldung", "Geburtsurkunde", "Baugenehmigung",
    "Gewerbeanmeldung", "Hundesteuer", "Führungszeugnis", "Kita-Platz",
    "Sperrmüllabholung", "Einbürgerung", "Aufenthaltstitel", "Fahrerlaubnis",
    "Kfz-Zulassung", "Schwerbehindertenausweis", "BAföG", "Eheschließung",
    "Sterbeurkunde", "Wohnberechtigungsschein", "Bauvorbescheid", "Fischereischein",
    "Waffenbesitzkarte", "Gaststättenerlaubnis", "Sondernutzung Straße",
    "Baumfällgenehmigung", "Anwohnerbeteiligung", "Unterhaltsvorschuss",
]  # fmt: skip
VARIANTS = ["Antrag", "Änderung", "Verlängerung", "Auskunft", "Anzeige", "Ersatz"]
IT_PROVIDERS = [
    "dataport", "akdb", "lecos", "komm24", "itnrw", "ekom21", "komm-one", "kdo",
    "krz", "citkomm", "regio-it", "kiru", "itebo", "kdvz", "zv-kisa", "ldbv",
    "brandenburg-it", "ndr-it", "ivv", "govconnect",
]  # fmt: skip


@dataclass
class Catalog:
    """What the load needs to know about the built database."""

    versions: list[int] = field(default_factory=list)
    municipalities: list[str] = field(default_factory=list)
    tokens: list[str] = field(default_factory=list)


# Building the database --------------------------------------------------------------


def municipality_rows(rng: random.Random, total: int) -> list[tuple[Any, ...]]:
    """Kreis-level units and Gemeinden for every Land; populations add up exactly to
    the Land (kreisfreie Städte and Landkreise) and to each Landkreis (Gemeinden)."""
    scale = min(1.0, total / 11_000)
    units = [
        (max(1, round(kf * scale)) if kf else 0, max(1, round(lk * scale)) if lk else 0)
        for *_, kf, lk, _ in LAENDER
    ]
    kreis_level = sum(kf + lk for kf, lk in units) + 2  # Berlin, Hamburg
    in_kreisen = sum(row[6] for row in LAENDER)
    rows: list[tuple[Any, ...]] = []
    for (code, _, name, people, *_, gemeinden), (kf, lk) in zip(
        LAENDER, units, strict=True
    ):
        if kf + lk == 0:
            rows.append((f"{code}000000", name, "stadtstaat", code, people))
            continue
        count = round(max(0, total - kreis_level) * gemeinden / in_kreisen)
        rows += _land_rows(rng, code, people, kf, lk, count)
    return rows


def _land_rows(
    rng: random.Random, code: str, people: int, kf: int, lk: int, gemeinden: int
) -> list[tuple[Any, ...]]:
    kinds = ["kreisfreie_stadt"] * kf + ["landkreis"] * lk
    ags = [f"{code}{1 + i // 60}{i % 60 + 1:02d}000" for i in range(len(kinds))]
    weights = [
        int(rng.lognormvariate(12.2 if kind == "landkreis" else 11.9, 0.5))
        for kind in kinds
    ]
    sizes = split_exact(people, list(zip(ags, weights, strict=True)))
    rows: list[tuple[Any, ...]] = []
    kreise = [a for a, kind in zip(ags, kinds, strict=True) if kind == "landkreis"]
    members = _assign(rng, kreise, [sizes[a] for a in kreise], gemeinden)
    for unit, kind in zip(ags, kinds, strict=True):
        label = "Landkreis" if kind == "landkreis" else "Stadt"
        rows.append((unit, f"{label} {unit}", kind, code, sizes[unit]))
        count = members.get(unit, 0)
        if count:
            gem = [f"{unit[:5]}{n:03d}" for n in range(1, count + 1)]
            pareto = [int(1000 * rng.paretovariate(1.1)) for _ in gem]
            parts = split_exact(sizes[unit], list(zip(gem, pareto, strict=True)))
            rows += [(g, f"Gemeinde {g}", "gemeinde", code, parts[g]) for g in gem]
    return rows


def _assign(
    rng: random.Random, kreise: list[str], sizes: list[int], count: int
) -> dict[str, int]:
    """Spread ``count`` Gemeinden over the Landkreise, more in the populous ones."""
    members = dict.fromkeys(kreise, 0)
    if kreise:
        for kreis in rng.choices(kreise, weights=sizes, k=count):
            members[kreis] = min(999, members[kreis] + 1)
    return members


def cost_model(rng: random.Random) -> dict[str, Any]:
    """One of the cost model shapes seen in practice, with random amounts."""
    amount = rng.randrange(0, 5_000) * 100
    one_off = {"kind": "one_off", "label": "Anbindung", "amount_cents": amount}
    shapes: list[list[dict[str, Any]]] = [
        [one_off, _flat(rng)],
        [one_off, _per_inhabitant(rng)],
        [_per_case(rng)],
        [one_off, _land_share(rng, land_pays=True)],
        [_land_share(rng, land_pays=False)],
        [_flat(rng), _per_inhabitant(rng), _per_case(rng)],
    ]
    shape = rng.choices(shapes, weights=[3, 3, 2, 2, 1, 1])[0]
    return {"components": shape, "note": "Ohne Lizenz des Fachverfahrens."}


def _flat(rng: random.Random) -> dict[str, Any]:
    amount = rng.randrange(500, 20_000) * 100
    return {"kind": "annual_flat", "label": "Betrieb", "amount_cents": amount}


def _per_inhabitant(rng: random.Random) -> dict[str, Any]:
    return {
        "kind": "per_inhabitant",
        "label": "Betrieb je Einwohner",
        "cents_per_1000_inhabitants": rng.randrange(500, 5_000),
        "minimum_cents": 50_000,
        "maximum_cents": rng.choice([None, 5_000_000]),
    }


def _per_case(rng: random.Random) -> dict[str, Any]:
    return {
        "kind": "per_case",
        "label": "Fallpauschale",
        "tiers": [
            {"up_to": 1_000, "cents_per_case": rng.randrange(150, 400)},
            {"up_to": 10_000, "cents_per_case": rng.randrange(80, 150)},
            {"cents_per_case": rng.randrange(30, 80)},
        ],
        "included_cases": rng.choice([0, 100, 200]),
        "estimated_cases_per_1000_inhabitants": rng.randrange(1, 30),
    }


def _land_share(rng: random.Random, *, land_pays: bool) -> dict[str, Any]:
    return {
        "kind": "land_share",
        "label": "Länderumlage",
        "annual_total_cents": rng.randrange(500_000, 20_000_000) * 100,
        "land_pays": land_pays,
    }


async def build(path: Path, *, offers: int, municipalities: int) -> Catalog:
    """The whole catalog, committed; returns the ids the load generator uses."""
    rng = random.Random(20_26)  # noqa: S311 - reproducible test data, not secrets
    async with Database(path, readers=1) as db:
        async with db.transaction() as conn:
            await _load_places(conn, rng, municipalities)
            await _load_services(conn, rng)
        async with db.read() as conn:
            reference = await Quoter.for_reference(conn)
        async with db.transaction() as conn:
            versions = await _load_offers(conn, rng, offers, reference)
            for offer_id, version_id in versions:
                await catalog.set_current(conn, offer_id, version_id)
        async with (
            db.read() as conn,
            conn.execute("SELECT ags FROM municipalities ORDER BY ags") as cur,
        ):
            places = [row[0] for row in await cur.fetchall()]
        tokens = [await _buyer_token(db, n, ags) for n, ags in enumerate(places[::997])]
    return Catalog(
        versions=[version for _, version in versions],
        municipalities=places,
        tokens=tokens,
    )


async def _load_places(conn: Connection, rng: random.Random, count: int) -> None:
    await conn.executemany(
        "INSERT INTO laender (code, abbreviation, name, population) VALUES (?,?,?,?)",
        [row[:4] for row in LAENDER],
    )
    await conn.executemany(
        "INSERT INTO municipalities (ags, name, kind, land_code, population)"
        " VALUES (?, ?, ?, ?, ?)",
        municipality_rows(rng, count),
    )
    providers: list[tuple[str, str, str, str | None]] = [
        (f"land-{a.lower()}", n, "land", c) for c, a, n, *_ in LAENDER
    ]
    providers += [(p, p.upper(), "public_it_provider", None) for p in IT_PROVIDERS]
    providers += [("fitko", "FITKO", "fitko", None)]
    providers += [("govdigital", "govdigital eG", "govdigital", None)]
    providers += [(f"vendor{n}", f"Anbieter {n} GmbH", "private_vendor", None)
                  for n in range(20)]  # fmt: skip
    await conn.executemany(
        "INSERT INTO providers (id, name, kind, land_code, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        [(*row, NOW) for row in providers],
    )


async def _load_services(conn: Connection, rng: random.Random) -> None:
    titles = [f"{base} – {variant}" for variant in VARIANTS for base in SERVICES]
    titles += [f"{title} (digital)" for title in titles]
    services = [
        (n + 1, f"99{rng.randrange(10**12):012d}", title, f"Onlinedienst {title}",
         f"OZG-Leistung {title.split(' – ')[0]}", rng.choice(TOPICS),
         rng.choice([2, 3, 3, 4]), rng.choice(["substantiell", "hoch", "keine"]),
         rng.choice(["XÖV", "PDF"]), rng.choice([0, 1]), NOW)
        for n, title in enumerate(titles)
    ]  # fmt: skip
    await conn.executemany(
        "INSERT INTO services (id, leika_key, title, summary, ozg_bundle, topic,"
        " maturity, trust_level, delivery_standard, has_test_instance, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        services,
    )
    await conn.executemany(
        "INSERT INTO service_life_situations (service_id, life_situation)"
        " VALUES (?, ?)",
        [(sid, s) for sid, *_ in services for s in rng.sample(LIFE_SITUATIONS, 2)],
    )


async def _load_offers(
    conn: Connection, rng: random.Random, count: int, reference: Quoter
) -> list[tuple[int, int]]:
    """``count`` offers on distinct (provider, service) pairs; one in five has an
    older published version. Returns (offer id, current version id) pairs."""
    async with conn.execute("SELECT id, land_code FROM providers ORDER BY id") as cur:
        providers = [(row[0], row[1]) for row in await cur.fetchall()]
    async with conn.execute("SELECT count(*) FROM services") as cur:
        (services,) = await cur.fetchone() or (0,)
    pairs = rng.sample(range(len(providers) * services), count)
    offers = [(n + 1, providers[p // services][0], p % services + 1, NOW)
              for n, p in enumerate(pairs)]  # fmt: skip
    await conn.executemany(
        "INSERT INTO offers (id, provider_id, service_id, created_at)"
        " VALUES (?, ?, ?, ?)",
        offers,
    )
    lands = dict(providers)
    versions, current = [], []
    for offer_id, provider, _, _ in offers:
        for number in range(1, 2 + (rng.random() < 0.2)):
            model = msgspec.convert(cost_model(rng), CostModel)
            price = reference.quote(model).annual_cents
            versions.append(
                (offer_id, number, f"Angebot {offer_id} von {provider}",
                 "Betrieb als Software as a Service", lands[provider],
                 rng.choice(["fit_store", "govdigital", "direct"]),
                 msgspec.json.encode(model).decode(), "Vertrag {{anbieter}}",
                 rng.choice([3, 6, 12]), NOW, NOW, price)
            )  # fmt: skip
        current.append((offer_id, len(versions)))
    await conn.executemany(
        "INSERT INTO offer_versions (id, offer_id, version, status, title,"
        " description, land_code, legal_route, cost_model, contract_template,"
        " notice_period_months, created_at, published_at, reference_annual_cents)"
        " VALUES (?, ?, ?, 'published', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [(n + 1, *row) for n, row in enumerate(versions)],
    )
    return current


async def _buyer_token(db: Database, n: int, ags: str) -> str:
    login = f"kommune{n}"
    password = "benchmark-passwort"  # noqa: S105 - throwaway benchmark account
    await identity.create_user(
        db,
        login=login,
        display_name=f"Kommune {ags}",
        password=password,
        role=Role.MUNICIPALITY_BUYER,
        municipality_ags=ags,
    )
    principal = await identity.authenticate(db, login, password)
    return (await identity.issue_token(db, principal, "benchmark")).token


# Serving --------------------------------------------------------------------------


def serve(db: Path, port: int) -> None:
    """Child process: the real app plus one trivial handler, under uvicorn."""
    import uvicorn
    from litestar import get

    from marketplace.app import create_app
    from marketplace.settings import Settings

    @get("/bench/trivial", sync_to_thread=False, include_in_schema=False)
    def trivial() -> dict[str, str]:
        return {"status": "ok"}

    app = create_app(Settings(db_path=db))
    app.register(trivial)
    app.register(get("/bench/search-uncached", include_in_schema=False)(uncached))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


async def uncached(request: HttpRequest[Any, Any, Any]) -> SearchPage:
    """The search as on a cache miss: a new, empty cache for every request."""
    query = msgspec.convert(dict(request.query_params), SearchQuery, strict=False)
    database: Database = request.app.state.db
    async with database.read() as conn:
        return await SearchCache().page(conn, query)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# Load ---------------------------------------------------------------------------


Request = tuple[str, dict[str, str]]


@dataclass
class Sample:
    """What one endpoint collected over all rounds in one mode."""

    latencies: list[float] = field(default_factory=list)
    seconds: float = 0.0
    server_cpu: float = 0.0

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms(self) -> float:
        return 1000 * self.server_cpu / max(1, len(self.latencies))

    def ms(self, quantile: float) -> float:
        ordered = sorted(self.latencies)
        return 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * quantile))]


async def measure(
    client: httpx.AsyncClient,
    requests: Sequence[Request],
    sample: Sample,
    *,
    seconds: float,
    workers: int,
    server_pid: int,
) -> None:
    """``workers`` clients send requests back to back for ``seconds``."""
    cpu_before, started = cpu_seconds(server_pid), time.perf_counter()
    deadline = started + seconds

    async def worker(n: int) -> None:
        while time.perf_counter() < deadline:
            url, headers = requests[n % len(requests)]
            sent = time.perf_counter()
            response = await client.get(url, headers=headers)
            sample.latencies.append(time.perf_counter() - sent)
            if response.status_code != 200:
                raise RuntimeError(f"{url}: {response.status_code} {response.text}")
            n += workers

    await asyncio.gather(*(worker(n) for n in range(workers)))
    sample.seconds += time.perf_counter() - started
    sample.server_cpu += cpu_seconds(server_pid) - cpu_before


def endpoints(
    data: Catalog, rng: random.Random, with_search: bool
) -> dict[str, list[Request]]:
    """The request mix per endpoint; search only when the catalog serves it."""
    anonymous: dict[str, str] = {}
    found: dict[str, list[Request]] = {"trivial": [("/bench/trivial", anonymous)]}
    if with_search:
        found["search"] = [(_search_url(rng), anonymous) for _ in range(300)]
        # The same requests, each answered as a cache miss (counts and hits read).
        found[UNCACHED] = [
            (url.replace(SEARCH, "/bench/search-uncached"), anonymous)
            for url, _ in found["search"]
        ]
        found["search as municipality"] = [
            (_search_url(rng), {"Authorization": f"Bearer {rng.choice(data.tokens)}"})
            for _ in range(300)
        ]
    # 1,000 (offer, municipality) pairs: first-time lookups, before the quoter's
    # per-connection memo knows a municipality, stay part of the mix.
    found["cost calculation"] = [
        (_quote_url(data, rng), anonymous) for _ in range(1000)
    ]
    return found


def _search_url(rng: random.Random) -> str:
    params: dict[str, str | int] = {}
    if rng.random() < 0.8:
        params["q"] = rng.choice(SERVICES).split()[0].lower()[: rng.randint(4, 9)]
    if rng.random() < 0.3:
        params["topic"] = rng.choice(TOPICS)
    if rng.random() < 0.2:
        params["land"] = rng.choice(LAENDER)[0]
    if rng.random() < 0.1:
        params["page"] = 2
    return f"{SEARCH}?{httpx.QueryParams(params)}"


def _quote_url(data: Catalog, rng: random.Random) -> str:
    version = rng.choice(data.versions)
    params: dict[str, str | int] = {"ags": rng.choice(data.municipalities)}
    if rng.random() < 0.5:
        params["expected_cases"] = rng.randrange(0, 50_000)
    return f"/api/v1/offer-versions/{version}/quote?{httpx.QueryParams(params)}"


async def drive(
    base: str, data: Catalog, args: argparse.Namespace, server_pid: int
) -> dict[str, dict[str, Sample]]:
    """Interleaved rounds: every endpoint under load and with a single client."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        with_search = (await client.get("/api/v1/catalog/search")).status_code == 200
        mix = endpoints(data, random.Random(7), with_search)  # noqa: S311
        samples = {mode: {name: Sample() for name in mix} for mode in ("load", "solo")}
        warm_up = Sample()
        for requests in mix.values():
            await measure(client, requests, warm_up, seconds=0.5, workers=2,
                          server_pid=server_pid)  # fmt: skip
        names = list(mix)
        for round_number in range(args.rounds):
            shift = round_number % len(names)
            for name in names[shift:] + names[:shift]:
                for mode, workers, seconds in (
                    ("load", args.concurrency, args.seconds),
                    ("solo", 1, args.seconds / 2),
                ):
                    await measure(client, mix[name], samples[mode][name],
                                  seconds=seconds, workers=workers,
                                  server_pid=server_pid)  # fmt: skip
    return samples


# Report -------------------------------------------------------------------------


def report(samples: dict[str, dict[str, Sample]], concurrency: int) -> None:
    load, solo = samples["load"], samples["solo"]
    trivial = load["trivial"]
    print(
        f"\n{'endpoint':23} {'req/s':>6} {'ratio':>6} | {'CPU ms/req':>10} {'ratio':>6}"
        f" | load p50 p99 ms | 1 client p50 p99 ms"
    )
    for name, sample in load.items():
        print(
            f"{name:23} {sample.rate:6.0f} {sample.rate / trivial.rate:6.0%}"
            f" | {sample.cpu_ms:10.2f} {trivial.cpu_ms / sample.cpu_ms:6.0%}"
            f" | {sample.ms(0.5):8.1f} {sample.ms(0.99):5.1f}"
            f" | {solo[name].ms(0.5):12.1f} {solo[name].ms(0.99):5.1f}"
        )
    print(
        "\nratio: throughput measured beside the trivial endpoint; CPU ratio: the"
        " trivial endpoint's server CPU per request divided by this one's (what a"
        " server-bound run would show, whatever the client's own speed)."
    )
    for name in ("search", UNCACHED, "search as municipality", "cost calculation"):
        if name in load:
            _verdict(name, load[name], solo[name], trivial, concurrency)
    if "search" not in load:
        print("catalog search: not served by this app (404), not measured")


def _verdict(
    name: str, load: Sample, solo: Sample, trivial: Sample, concurrency: int
) -> None:
    throughput = load.rate / trivial.rate
    by_cpu = trivial.cpu_ms / load.cpu_ms
    checks = [
        (f"throughput {throughput:.1%} of trivial >= 25 %", throughput >= 0.25),
        (f"by server CPU {by_cpu:.1%} >= 25 %", by_cpu >= 0.25),
        (f"p99 {load.ms(0.99):.1f} ms at {concurrency} clients < 50 ms",
         load.ms(0.99) < 50),
        (f"p99 {solo.ms(0.99):.1f} ms for one client < 50 ms", solo.ms(0.99) < 50),
    ]  # fmt: skip
    print(f"\n{name}:")
    for text, met in checks:
        print(f"  {'met    ' if met else 'NOT met'}  {text}")


# Main ---------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--quick", action="store_true", help="2 rounds of 1.5 s")
    parser.add_argument("--offers", type=int, default=10_000)
    parser.add_argument("--municipalities", type=int, default=11_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=5.0, help="per round")
    parser.add_argument("--concurrency", type=int, default=4, help="clients")
    parser.add_argument(
        "--serve", nargs=2, metavar=("DB", "PORT"), help=argparse.SUPPRESS
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.seconds = 2, 1.5
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve:
        serve(Path(args.serve[0]), int(args.serve[1]))
        return 0
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="marketplace-bench-") as folder:
        db = Path(folder) / "catalog.sqlite3"
        started = time.perf_counter()
        data = asyncio.run(
            build(db, offers=args.offers, municipalities=args.municipalities)
        )
        print(
            f"catalog: {len(data.versions):,} offers, {len(data.municipalities):,}"
            f" municipalities, built in {time.perf_counter() - started:.1f} s"
        )
        samples = run_against_server(db, data, args)
    print(
        f"{args.rounds} interleaved rounds, {args.seconds:g} s under load and"
        f" {args.seconds / 2:g} s with one client per endpoint and round;"
        f" server: one uvicorn process; client: httpx, {os.cpu_count()} CPUs shared"
    )
    report(samples, args.concurrency)
    return 0


def run_against_server(
    db: Path, data: Catalog, args: argparse.Namespace
) -> dict[str, dict[str, Sample]]:
    """Start the server process, drive the load, stop it; its log is shown only
    when it fails."""
    port = _free_port()
    log_path = db.with_suffix(".server.log")
    with log_path.open("wb") as log:
        server = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve", str(db),
             str(port)],
            cwd=REPO, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_until_up(base, server)
            return asyncio.run(drive(base, data, args, server.pid))
        except BaseException:
            print(log_path.read_text(errors="replace")[-4000:], file=sys.stderr)
            raise
        finally:
            server.terminate()
            server.wait(30)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"server exited with {server.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("server did not answer /health within 60 s")


if __name__ == "__main__":
    raise SystemExit(main())
