"""Catalog search for many concurrent clients while the delivery engine works:
neither starves. Proven by counting, never by timing: every search answers 200,
every client keeps getting answers while the deliveries run, and every document
reaches every receiver exactly once.

The station's outbox is fed with already processed documents (small generated
PDFs, committed straight into the outbox of a running ``appliance serve``), since
the scenario is about delivery, not scanning; its delivery thread sends them to
the marketplace process, whose engine delivers them to the receivers.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from appliance.outbox import DocumentMetadata, Outbox
from tests.connectors.conftest import Receiver
from tests.marketplace.intake.samples import letter_pdf

from .ledger import account, settle
from .mail import pages_wanted
from .market import LiveMarket
from .station import LiveStation, station_folder

pytestmark = pytest.mark.slow

CLIENTS = 50
SEARCH = "/api/v1/catalog/search"
TERMS = ("", "Parkausweis", "Wohngeld", "Hund", "Gewerbe", "Bauantrag", "Kita")


@dataclass
class Searches:
    answered: list[int] = field(default_factory=lambda: [0] * CLIENTS)
    errors: list[str] = field(default_factory=list)


async def search(
    market: LiveMarket, number: int, found: Searches, stop: asyncio.Event
) -> None:
    rng = random.Random(number)  # noqa: S311 - query choice, not cryptography
    async with httpx.AsyncClient(base_url=market.url, timeout=60) as client:
        while not stop.is_set():
            try:
                answer = await client.get(SEARCH, params={"q": rng.choice(TERMS)})
            except httpx.HTTPError as exc:
                found.errors.append(f"{type(exc).__name__}: {exc}")
                continue
            if answer.status_code == 200 and "hits" in answer.json():
                found.answered[number] += 1
            else:
                found.errors.append(f"{answer.status_code}: {answer.text[:200]}")


def commit(outbox: Outbox, folder: Path, count: int) -> None:
    folder.mkdir()
    for number in range(count):
        pdf = folder / f"brief-{number:04d}.pdf"
        pdf.write_bytes(letter_pdf(number))
        outbox.commit(
            pdf,
            DocumentMetadata(
                appliance_id="dresden-scan-1",
                filename=pdf.name,
                page_count=1,
                office="strassenverkehr",
                leika_key="99990000001000",
                confidence=0.99,
                method="barcode",
            ),
        )


def test_search_and_deliveries_both_progress_under_fifty_concurrent_clients(
    market: LiveMarket, live_receivers: dict[str, Receiver], tmp_path: Path
) -> None:
    """GIVEN a marketplace process, an enrolled station delivering its outbox, and
    50 clients each searching the catalog as fast as it answers
    WHEN 8 documents are committed to the station's outbox under that load
    THEN all 8 reach both receivers exactly once while the search goes on, every
    client got answers before and during the deliveries, and no search failed."""
    documents = pages_wanted(8)
    station = LiveStation(station_folder(tmp_path / "station", market))
    station.start()
    try:
        found, before, during = asyncio.run(load(market, station, tmp_path, documents))
        count = account(
            station,
            market,
            live_receivers,
            pages=documents,
            documents=documents,
            signed=False,
        )
    finally:
        station.close()
    print(f"searches answered: before {sum(before)}, during {sum(during)}")
    assert found.errors == []
    assert min(before) >= 1
    assert min(during) >= 1  # no client starved while deliveries ran
    assert count.delivered == {"webhook": documents, "eakte": documents}


async def load(
    market: LiveMarket, station: LiveStation, tmp_path: Path, documents: int
) -> tuple[Searches, list[int], list[int]]:
    found, stop = Searches(), asyncio.Event()
    clients = [
        asyncio.create_task(search(market, n, found, stop)) for n in range(CLIENTS)
    ]
    try:
        while min(found.answered) < 1 and not found.errors:  # noqa: ASYNC110
            await asyncio.sleep(0.1)  # every client answered once: load is on
        before = list(found.answered)
        await asyncio.to_thread(commit, station.outbox, tmp_path / "pdfs", documents)
        await asyncio.to_thread(
            settle, station, market, 240 + 2 * documents, documents=documents
        )
        during = [b - a for a, b in zip(before, found.answered, strict=True)]
    finally:
        stop.set()
        await asyncio.gather(*clients)
    return found, before, during
