"""Demo delivery: Dresden subscribes to Lecos' Bewohnerparkausweis and routes its
submissions to the reference receivers on fixed loopback ports (started by
``python -m marketplace.demo.receivers``, which ``./scripts/demo`` runs), one
route of each kind, plus a test route; the provider's platform sends a few
online submissions. Idempotent: an existing demo subscription is left alone."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import msgspec

from connectors.submission import Document
from marketplace.catalog import repository as catalog_repository
from marketplace.catalog import service as catalog
from marketplace.contracts import service as contracts
from marketplace.contracts.schemas import Action, ContractRequest
from marketplace.db import Database
from marketplace.delivery import enqueue, service
from marketplace.delivery.rules import endpoint
from marketplace.delivery.schemas import (
    EnvironmentName,
    Kind,
    RouteChange,
    RouteIn,
    SubmissionIn,
)
from marketplace.demo.receivers import DEFAULT_PORTS, DEMO, Ports, fitconnect_url, url
from marketplace.identity import repository as identity_repository
from marketplace.identity.schemas import Principal
from marketplace.objectstore import FileStore, ObjectStore
from marketplace.subscriptions import service as subscriptions
from marketplace.subscriptions.schemas import Environment, SubscriptionIn

log = logging.getLogger(__name__)
SUBSCRIPTION = "dresden-bewohnerparken"
LEIKA = "99990000001000"  # Bewohnerparkausweis – digital (Lecos)
HAPPY_PATH = (Action.OFFER, Action.SIGN, Action.COUNTERSIGN, Action.ACTIVATE)


async def seed_delivery(
    db: Database, ports: Ports = DEFAULT_PORTS, documents: ObjectStore | None = None
) -> str:
    """Create the demo subscription, its routes and submissions (once); their
    documents go to ``documents`` (default: the folder beside the database)."""
    dresden = await principal(db, "dresden-einkauf")
    lecos = await principal(db, "lecos-admin")
    if dresden is None or lecos is None:
        return "Zustelldemo: Demo-Zugänge fehlen."
    known = {s.id for s in await subscriptions.subscriptions(db, dresden)}
    root = db.path.parent / "ablage"
    if SUBSCRIPTION in known:
        await repoint_routes(db, dresden, SUBSCRIPTION, routes(root, ports), root)
        return f"Zustelldemo: Abonnement {SUBSCRIPTION} besteht bereits."
    contract_id = await _active_contract(db, dresden, lecos)
    await subscriptions.put_subscription(
        db,
        dresden,
        SUBSCRIPTION,
        SubscriptionIn(
            contract_id=contract_id,
            environment=Environment.PRODUCTION,
            endpoint_url=url("webhook", "/eingang", ports),
            fachverfahren="OK.VERKEHR (Demo)",
        ),
    )
    (root / "dresden-dms").mkdir(parents=True, exist_ok=True)  # the DMS import reads it
    for route in routes(root, ports):
        await service.add_route(db, dresden, SUBSCRIPTION, route, root)
    for number in range(1, 4):
        await enqueue.submit(
            db,
            documents or FileStore(db.path.parent),
            lecos,
            SUBSCRIPTION,
            _submission(number),
        )
    log.info("demo delivery: subscription %s with routes and submissions", SUBSCRIPTION)
    return f"Zustelldemo: Abonnement {SUBSCRIPTION} mit 5 Routen und 3 Einreichungen."


async def repoint_routes(
    db: Database,
    owner: Principal,
    subscription_id: str,
    wanted: Sequence[RouteIn],
    root: Path,
) -> int:
    """Point the subscription's demo routes at this run's receivers when an
    earlier run made them for receivers on other ports (``--receiver-ports``);
    the number of routes changed."""
    changed = 0
    for route in await service.routes(db, owner, subscription_id):
        target = next((w for w in wanted if w.name == route.name), None)
        if target is None or endpoint(target.kind, target.settings) == route.endpoint:
            continue
        change = RouteChange(settings=target.settings)
        await service.change_route(db, owner, subscription_id, route.id, change, root)
        log.info("demo route %s goes to this run's receivers now", route.name)
        changed += 1
    return changed


def routes(root: Path, ports: Ports = DEFAULT_PORTS) -> list[RouteIn]:
    def route(
        name: str, env: EnvironmentName, kind: Kind, settings: dict[str, Any]
    ) -> RouteIn:
        return RouteIn(name=name, environment=env, kind=kind, settings=settings)

    return [
        route(
            "Fachverfahren (FIT-Connect)",
            "production",
            "fitconnect",
            fitconnect_url(ports),
        ),
        route(
            "E-Akte (xdomea)",
            "production",
            "xdomea",
            {"url": url("eakte", "/xdomea/nachrichten", ports)},
        ),
        route(
            "Gewerbeamt (Webhook)",
            "production",
            "webhook",
            {
                "url": url("webhook", "/eingang", ports),
                "secret": DEMO["webhook_secret"],
            },
        ),
        route(
            "DMS-Nachtimport (Ablage)",
            "production",
            "dropfolder",
            {"path": str(root / "dresden-dms"), "min_free_bytes": 0},
        ),
        route(
            "Testsystem (Webhook)",
            "test",
            "webhook",
            {
                "url": url("webhook", "/eingang", ports),
                "secret": DEMO["webhook_secret"],
            },
        ),
    ]


async def principal(db: Database, login: str) -> Principal | None:
    """The demo account's principal, or None when it is missing."""
    async with db.read() as conn:
        found = await identity_repository.password_hash_for(conn, login)
    return found[0] if found else None


_principal = principal  # older name, still imported by tests


async def _active_contract(db: Database, dresden: Principal, lecos: Principal) -> int:
    return await active_contract(db, dresden, lecos, provider_id="lecos", leika=LEIKA)


async def active_contract(
    db: Database,
    buyer: Principal,
    provider_side: Principal,
    *,
    provider_id: str,
    leika: str,
) -> int:
    """An active contract of the buyer's municipality for the provider's offer of
    the service; ``provider_side`` is the provider's admin or the operator."""
    async with db.read() as conn:
        service_id = await catalog_repository.service_id_for_leika(conn, leika)
    [offer] = await catalog.offers(
        db, provider_side, provider_id=provider_id, service_id=service_id
    )
    assert offer.current is not None
    found = await contracts.request_contract(
        db, buyer, ContractRequest(offer_version_id=offer.current.id)
    )
    for action in HAPPY_PATH:
        for actor in (buyer, provider_side):
            if action in contracts.allowed_actions(found, actor):
                found = await contracts.transition(
                    db, actor, found.id, action, found.text_sha256
                )
    return found.id


def _submission(number: int) -> SubmissionIn:
    content = b"%PDF-1.7\n% Demo-Antrag Bewohnerparkausweis " + str(number).encode()
    document = Document.from_bytes(
        content + b"\n%%EOF\n", filename=f"Antrag-{number}.pdf"
    )
    return msgspec.convert(
        {
            "submission_id": f"demo-antrag-{number}",
            "test": number == 3,
            "metadata": {
                "leika": LEIKA,
                "ags": "14612000",
                "office": "Ordnungsamt",
                "received_at": "2026-11-20T09:00:00+00:00",
                "channel": "online",
                "identification_level": "substantial",
                "subject": "Bewohnerparkausweis Zone 3",
            },
            "data": {"zone": "3", "kennzeichen": f"L-DE {100 + number}"},
            "documents": [msgspec.to_builtins(document)],
        },
        SubmissionIn,
    )
