"""Demo subscriptions for the scanned sample mail (``appliance samples``).

The sample mail's routing rules (``appliance/sample_mail/rules.py``) send letters
to services by LeiKa key and name a delivery route per office
(``fit-connect:…``, ``xdomea:…``, ``dms:…``). Dresden subscribes to each of these
services here, with one production route of the kind the rules name pointing at
the reference receivers, and each service gets one online submission, so a
scanned letter arrives in the Fachverfahren next to an online application of the
same service. Providers without a demo account get one (``akdb-admin`` /
``demo-akdb``, ``komm24-admin`` / ``demo-komm24``) to offer and countersign.
Idempotent: existing subscriptions and accounts are left alone.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import msgspec

from connectors.submission import Document
from marketplace.db import Database
from marketplace.delivery import enqueue, service
from marketplace.delivery.schemas import Kind, RouteIn, SubmissionIn
from marketplace.demo.delivery import active_contract, principal, repoint_routes
from marketplace.demo.receivers import DEFAULT_PORTS, Ports, fitconnect_url, url
from marketplace.identity import service as identity
from marketplace.identity.schemas import Principal, Role
from marketplace.objectstore import FileStore
from marketplace.subscriptions import service as subscriptions
from marketplace.subscriptions.schemas import Environment, SubscriptionIn

log = logging.getLogger(__name__)
AGS = "14612000"  # Dresden


class MailService(msgspec.Struct, kw_only=True, frozen=True):
    """One service the sample mail is routed to, and Dresden's route for it."""

    subscription: str
    leika: str
    provider_id: str
    provider_login: str  # its admin account (made here when the demo has none)
    title: str
    office: str  # as the sample rules name it
    kind: Kind
    route_name: str
    receiver: str  # shown in the demo's report


MAIL_SERVICES = (
    MailService(
        subscription="dresden-meldebescheinigung",
        leika="99990000011000",
        provider_id="akdb",
        provider_login="akdb-admin",
        title="Meldebescheinigung",
        office="Bürgeramt",
        kind="fitconnect",
        route_name="Bürgeramt (FIT-Connect)",
        receiver="FIT-Connect-Empfänger",
    ),
    MailService(
        subscription="dresden-hundesteuer",
        leika="99990000026000",
        provider_id="komm24",
        provider_login="komm24-admin",
        title="Hundesteuer anmelden",
        office="Steueramt",
        kind="dropfolder",
        route_name="Steueramt DMS-Posteingang (Ablage)",
        receiver="DMS-Ablage",
    ),
    MailService(
        subscription="dresden-baugenehmigung",
        leika="99990000007000",
        provider_id="dataport",
        provider_login="dataport-admin",
        title="Baugenehmigung",
        office="Bauordnungsamt",
        kind="xdomea",
        route_name="Bauordnungsamt E-Akte (xdomea)",
        receiver="E-Akte",
    ),
    MailService(
        subscription="dresden-wohngeld",
        leika="99990000006000",
        provider_id="land-hessen",
        provider_login="hessen-admin",
        title="Wohngeld",
        office="Wohngeldstelle",
        kind="fitconnect",
        route_name="Wohngeldstelle (FIT-Connect)",
        receiver="FIT-Connect-Empfänger",
    ),
)


async def seed_mail_subscriptions(db: Database, ports: Ports = DEFAULT_PORTS) -> str:
    """Subscribe Dresden to the sample mail's services (once each)."""
    dresden = await principal(db, "dresden-einkauf")
    if dresden is None:
        return "Posteingangsdemo: Demo-Zugänge fehlen."
    known = {s.id for s in await subscriptions.subscriptions(db, dresden)}
    root = db.path.parent / "ablage"
    created = 0
    for mail in MAIL_SERVICES:
        if mail.subscription in known:
            wanted = _route(mail, root, ports)
            await repoint_routes(db, dresden, mail.subscription, [wanted], root)
            continue
        provider = await _provider_admin(db, mail)
        await _subscribe(db, dresden, provider, mail, root, ports)
        created += 1
    log.info("demo mail: %d subscriptions created", created)
    return f"Posteingangsdemo: {created} Abonnements für die Beispielpost neu angelegt."


async def _provider_admin(db: Database, mail: MailService) -> Principal:
    found = await principal(db, mail.provider_login)
    if found is None:
        await identity.create_user(
            db,
            login=mail.provider_login,
            display_name=f"{mail.provider_id} Angebotsverwaltung (Demo)",
            password=f"demo-{mail.provider_id}",
            role=Role.PROVIDER_ADMIN,
            provider_id=mail.provider_id,
        )
        found = await principal(db, mail.provider_login)
    assert found is not None
    return found


async def _subscribe(
    db: Database,
    dresden: Principal,
    provider: Principal,
    mail: MailService,
    root: Path,
    ports: Ports,
) -> None:
    contract_id = await active_contract(
        db, dresden, provider, provider_id=mail.provider_id, leika=mail.leika
    )
    await subscriptions.put_subscription(
        db,
        dresden,
        mail.subscription,
        SubscriptionIn(
            contract_id=contract_id,
            environment=Environment.PRODUCTION,
            endpoint_url=url("webhook", "/eingang", ports),
            fachverfahren=f"{mail.office} (Demo)",
        ),
    )
    route = _route(mail, root, ports)
    await service.add_route(db, dresden, mail.subscription, route, root)
    documents = FileStore(db.path.parent)  # the demo runs on the folder store
    await enqueue.submit(
        db, documents, provider, mail.subscription, online_submission(mail)
    )


def _route(mail: MailService, root: Path, ports: Ports) -> RouteIn:
    return RouteIn(
        name=mail.route_name,
        environment="production",
        kind=mail.kind,
        settings=route_settings(mail, root, ports),
    )


def route_settings(mail: MailService, root: Path, ports: Ports) -> dict[str, Any]:
    match mail.kind:
        case "fitconnect":
            return fitconnect_url(ports)
        case "xdomea":
            return {"url": url("eakte", "/xdomea/nachrichten", ports)}
        case "dropfolder":
            folder = root / mail.subscription
            folder.mkdir(parents=True, exist_ok=True)  # the DMS import reads it
            return {"path": str(folder), "min_free_bytes": 0}
        case _:
            raise ValueError(f"no demo route of kind {mail.kind}")


def online_submission(mail: MailService) -> SubmissionIn:
    """The one online application of the service (no personal data)."""
    content = f"%PDF-1.7\n% Online-Antrag {mail.title} (Demo)\n%%EOF\n".encode()
    document = Document.from_bytes(content, filename="Online-Antrag.pdf")
    return msgspec.convert(
        {
            "submission_id": f"demo-online-{mail.subscription}",
            "test": False,
            "metadata": {
                "leika": mail.leika,
                "ags": AGS,
                "office": mail.office,
                "received_at": "2026-11-20T09:30:00+00:00",
                "channel": "online",
                "identification_level": "substantial",
                "subject": f"{mail.title} (Online-Antrag)",
            },
            "data": {"antrag": mail.title},
            "documents": [msgspec.to_builtins(document)],
        },
        SubmissionIn,
    )
