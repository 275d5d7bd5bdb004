"""A delivery queue without the web app: schema, one subscription, one route and
N stored submissions, for the engine tests and ``benchmarks/delivery.py``."""

from __future__ import annotations

import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.submission import Document, Metadata
from marketplace.db import Database
from marketplace.delivery import repository
from marketplace.delivery.enqueue import document_ref, enqueue_submission, new_id
from marketplace.delivery.rules import endpoint
from marketplace.delivery.schemas import Envelope
from marketplace.objectstore import FileStore, blob_key
from marketplace.subscriptions import repository as subscriptions
from tests.connectors import samples

SUBSCRIPTION = "bench-sub"


async def prepare(path: Path) -> None:
    """The schema, and one subscription row without its catalog (the engine does
    not read the catalog; foreign keys are off for this one insert only)."""
    async with Database(path, readers=1):
        pass
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.execute(
            "INSERT INTO subscriptions (id, contract_id, municipality_ags,"
            " provider_id, offer_id, offer_version_id, environment, endpoint_url,"
            " fachverfahren, state, created_at, updated_at) VALUES (?, 1,"
            " '14713000', 'lecos', 1, 1, 'production', 'http://x', 'Benchmark',"
            " 'active', '2026-01-01', '2026-01-01')",
            (SUBSCRIPTION,),
        )


async def enqueue(
    db: Database, kind: str, settings: dict[str, Any], count: int, size: int
) -> float:
    """N submissions with distinct documents stored in the folder beside the
    database (the engine's default store); returns seconds."""
    start = time.perf_counter()
    now = datetime.now(UTC).isoformat()
    async with db.transaction() as conn:
        route_id = await repository.insert_route(
            conn,
            SUBSCRIPTION,
            {
                "name": kind,
                "environment": "production",
                "kind": kind,
                "settings": settings,
                "endpoint": endpoint(kind, settings),
                "enabled": True,
            },
            now,
        )
    documents = FileStore(db.path.parent)
    for n in range(count):
        content = samples.fake_pdf(size, f"{kind}-{n}")
        document = Document.from_bytes(content, filename="Antrag.pdf")
        location = blob_key(document.sha256)
        await documents.put(
            location, content, sha256=document.sha256, content_type="application/pdf"
        )
        envelope = Envelope(
            submission_id=new_id(),
            test=False,
            metadata=Metadata(
                leika="99070004012000",
                ags="14713000",
                office="Ordnungsamt",
                received_at=datetime.now(UTC),
                channel="online",
                identification_level="substantial",
            ),
            data={"antrag": {"zone": "3"}},
            documents=(document_ref(document, location),),
        )
        async with db.transaction() as conn:
            found = await subscriptions.get(
                conn, SUBSCRIPTION, datetime.now(UTC).date()
            )
            route = await repository.route(conn, route_id)
            assert route is not None
            await enqueue_submission(conn, found, envelope, "api", None, [route])
    return time.perf_counter() - start
