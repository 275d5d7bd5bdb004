"""Submissions kept as "nicht zustellbar": list them, and assign them again once
the reason is gone (a route added or switched on, a subscription concluded)."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import msgspec

from marketplace.db import Database
from marketplace.delivery import outbox_repository, repository, rules
from marketplace.delivery.enqueue import submission_out
from marketplace.delivery.intake_hook import match
from marketplace.delivery.schemas import Envelope, SubmissionOut
from marketplace.delivery.service import require_own_municipality
from marketplace.errors import InvalidTransition, NotFound
from marketplace.identity.schemas import Principal


async def undeliverable(
    db: Database, principal: Principal | None, ags: str, limit: int
) -> list[dict[str, Any]]:
    """Submissions (mostly scanned mail) that reached no route, with the reason."""
    require_own_municipality(principal, ags)
    async with db.read() as conn:
        return await repository.undeliverable(conn, ags, limit)


async def reroute(
    db: Database, principal: Principal | None, ags: str, submission_id: str
) -> SubmissionOut:
    """Queue a kept submission to the routes that may carry it now; if there are
    still none, it stays kept with the current reason."""
    require_own_municipality(principal, ags)
    now = datetime.now(UTC)
    async with db.transaction() as conn:
        row = await repository.submission(conn, submission_id)
        raw = await repository.envelope(conn, submission_id)
        if row is None or raw is None or row["municipality_ags"] != ags:
            raise NotFound(f"Die Einreichung {submission_id} gibt es nicht.")
        if row["undeliverable_reason"] is None:
            raise InvalidTransition(
                "Die Einreichung ist bereits zugeordnet.", state="queued"
            )
        envelope = msgspec.json.decode(raw, type=Envelope)
        subscription_id, reason = row["subscription_id"], None
        if subscription_id is None:
            subscription_id, reason = await match(
                conn, ags, envelope.metadata.leika, now
            )
        routes = (
            await repository.routes_of(conn, subscription_id) if subscription_id else []
        )
        chosen = rules.carriers(routes, test=envelope.test, probe=False)
        if reason is None and not chosen:
            reason = rules.no_route_reason(envelope.test, subscription_id)
        await repository.set_routing(conn, submission_id, subscription_id, reason)
        for route in chosen:
            await outbox_repository.insert_outbox(
                conn,
                submission_id=submission_id,
                route=route,
                test=envelope.test,
                probe=False,
                now=time.time(),
            )
        return await submission_out(conn, submission_id)
