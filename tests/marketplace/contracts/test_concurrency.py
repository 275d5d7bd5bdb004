"""Concurrent signing: exactly one signature wins, the others get a 409 problem."""

from __future__ import annotations

import asyncio

from marketplace.contracts import service
from marketplace.contracts.schemas import Action
from marketplace.db import Database
from marketplace.errors import InvalidTransition
from marketplace.identity import service as identity
from tests.marketplace.contracts.flow import Client, Parties, act, count, drive, request


async def test_concurrent_signing_through_the_app_has_one_winner(
    client: Client, parties: Parties, app_db: Database
) -> None:
    """GIVEN an offered contract WHEN eight signatures arrive at once through the app
    THEN one 200, seven 409 problems in German, one signature and one sign event."""
    contract = await drive(
        client,
        parties,
        await request(client, parties.leipzig, parties.version),
        "offered",
    )
    events_before = await count(app_db, "contract_events")
    results = await asyncio.gather(
        *(act(client, parties.leipzig, contract, "sign") for _ in range(8))
    )
    assert sorted(r.status_code for r in results) == [200] + [409] * 7
    losers = [r.json() for r in results if r.status_code == 409]
    assert {p["type"] for p in losers} == {
        "urn:efa-marketplace:problem:invalid-transition"
    }
    assert all("unterzeichnet" in p["detail"] for p in losers)
    assert await count(app_db, "contract_signatures") == 1
    assert await count(app_db, "contract_events") == events_before + 1


async def test_concurrent_countersign_and_withdrawal_through_the_app(
    client: Client, parties: Parties, app_db: Database
) -> None:
    """GIVEN a contract Leipzig signed WHEN Lecos countersigns while Leipzig withdraws
    (cancels) it THEN exactly one of them happens, and the audit log and the
    signatures show only that one."""
    contract = await drive(
        client,
        parties,
        await request(client, parties.leipzig, parties.version),
        "signed",
    )
    countersigned, cancelled = await asyncio.gather(
        act(client, parties.lecos, contract, "countersign"),
        act(client, parties.leipzig, contract, "cancel"),
    )
    assert sorted([countersigned.status_code, cancelled.status_code]) == [200, 409]
    winner = countersigned if countersigned.status_code == 200 else cancelled
    final = (
        await client.get(f"/api/v1/contracts/{contract['id']}", headers=parties.lecos)
    ).json()
    assert final["state"] == winner.json()["state"]
    assert await count(app_db, "contract_events") == 4  # request, offer, sign, winner
    assert await count(app_db, "contract_signatures") == (
        2 if final["state"] == "countersigned" else 1
    )


async def test_concurrent_signing_from_two_database_objects(
    client: Client, parties: Parties, app_db: Database
) -> None:
    """GIVEN two independent Database objects on the same file (each with its own
    connections and lock, as two server processes would have) WHEN both sign the
    same contract at once, several times each THEN SQLite's write lock lets exactly
    one through: one signature, one sign event, the others InvalidTransition."""
    contract = await drive(
        client,
        parties,
        await request(client, parties.leipzig, parties.version),
        "offered",
    )
    principal = await identity.authenticate(app_db, "leipzig", "correct-horse")
    events_before = await count(app_db, "contract_events")
    async with Database(app_db.path) as first, Database(app_db.path) as second:
        outcomes = await asyncio.gather(
            *(
                service.transition(
                    db, principal, contract["id"], Action.SIGN, contract["text_sha256"]
                )
                for db in (first, second, first, second)
            ),
            return_exceptions=True,
        )
    winners = [o for o in outcomes if not isinstance(o, BaseException)]
    assert len(winners) == 1
    assert winners[0].state == "signed"
    assert all(
        isinstance(o, InvalidTransition) for o in outcomes if o is not winners[0]
    )
    assert await count(app_db, "contract_signatures") == 1
    assert await count(app_db, "contract_events", "action = 'sign'") == 1
    assert await count(app_db, "contract_events") == events_before + 1
