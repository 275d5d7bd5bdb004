"""The contract state machine, signatures, audit log and access, through the API."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import date

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from marketplace.contracts.service import end_of_notice
from marketplace.db import Database
from marketplace.identity.schemas import Role
from tests.marketplace.conftest import MakeAccount, SeedOffer

Headers = dict[str, str]


@pytest.fixture
async def parties(
    make_account: MakeAccount, seed_offer: SeedOffer
) -> dict[str, object]:
    version_id = await seed_offer()
    await seed_offer(provider_id="dataport", ags="14612000")  # a second provider/city
    return {
        "version": version_id,
        "leipzig": await make_account(
            "leipzig", Role.MUNICIPALITY_BUYER, municipality_ags="14713000"
        ),
        "dresden": await make_account(
            "dresden", Role.MUNICIPALITY_BUYER, municipality_ags="14612000"
        ),
        "lecos": await make_account("lecos", Role.PROVIDER_ADMIN, provider_id="lecos"),
        "dataport": await make_account(
            "dataport", Role.PROVIDER_ADMIN, provider_id="dataport"
        ),
        "operator": await make_account("op", Role.OPERATOR),
    }


async def _request(
    client: AsyncTestClient[Litestar], parties: dict[str, object]
) -> dict:
    response = await client.post(
        "/api/v1/contracts",
        json={"offer_version_id": parties["version"]},
        headers=parties["leipzig"],  # type: ignore[arg-type]
    )
    assert response.status_code == 201, response.text
    return response.json()


async def _do(
    client, who: Headers, contract: dict, action: str, signed: str | None = None
):  # type: ignore[no-untyped-def]
    body = (
        {"text_sha256": signed or contract["text_sha256"]} if "sign" in action else None
    )
    return await client.post(
        f"/api/v1/contracts/{contract['id']}/{action}", json=body, headers=who
    )


async def count(db: Database, table: str) -> int:
    async with db.read() as conn, conn.execute(f"SELECT COUNT(*) FROM {table}") as cur:  # noqa: S608
        return int((await cur.fetchone())[0])


async def test_full_lifecycle_with_audit_log(
    client: AsyncTestClient[Litestar], parties: dict, app_db: Database
) -> None:
    """GIVEN Leipzig and Lecos WHEN the contract goes draft -> ... -> terminated THEN
    every step is in the audit log with who and the text hash, both signatures
    carry the SHA-256 of the text, and the end date follows the notice period."""
    contract = await _request(client, parties)
    assert contract["state"] == "draft"
    assert "Gemeinde 14713000" in contract["text"]
    assert "2.400,00 € jährlich" in contract["text"]
    steps = [
        (parties["lecos"], "offer", "offered"),
        (parties["leipzig"], "sign", "signed"),
        (parties["lecos"], "countersign", "countersigned"),
        (parties["lecos"], "activate", "active"),
        (parties["leipzig"], "terminate", "terminated"),
    ]
    for who, action, state in steps:
        response = await _do(client, who, contract, action)
        assert response.status_code == 200, (action, response.text)
        assert response.json()["state"] == state
    final = response.json()
    assert [s["party"] for s in final["signatures"]] == ["municipality", "provider"]
    assert {s["text_sha256"] for s in final["signatures"]} == {contract["text_sha256"]}
    assert final["ends_at"] == end_of_notice(date.today(), 6).isoformat()
    events = (
        await client.get(
            f"/api/v1/contracts/{contract['id']}/events", headers=parties["lecos"]
        )
    ).json()
    assert [(e["action"], e["to_state"]) for e in events] == [
        ("request", "draft"), ("offer", "offered"), ("sign", "signed"),
        ("countersign", "countersigned"), ("activate", "active"), ("terminate", "terminated"),
    ]  # fmt: skip
    assert [e["actor"] for e in events] == [
        "leipzig",
        "lecos",
        "leipzig",
        "lecos",
        "lecos",
        "leipzig",
    ]
    verified = (
        await client.get(
            f"/api/v1/contracts/{contract['id']}/verify", headers=parties["leipzig"]
        )
    ).json()
    assert verified["intact"] is True


@pytest.mark.parametrize(
    ("who", "action", "status"),
    [
        ("leipzig", "sign", 409),  # not yet offered
        ("leipzig", "offer", 403),  # only the provider offers
        ("dataport", "offer", 404),  # another provider does not see it
        ("dresden", "cancel", 404),  # another municipality does not see it
        ("lecos", "countersign", 409),
        ("lecos", "terminate", 409),  # only active contracts can be terminated
        ("operator", "sign", 403),  # the operator never signs for a party
    ],
)
async def test_refused_transitions(
    client: AsyncTestClient[Litestar],
    parties: dict,
    app_db: Database,
    who: str,
    action: str,
    status: int,
) -> None:
    """GIVEN a draft WHEN the wrong party or a wrong step is tried THEN refused with a
    German problem, and no event or signature is written."""
    contract = await _request(client, parties)
    events_before = await count(app_db, "contract_events")
    response = await _do(client, parties[who], contract, action)
    assert response.status_code == status, response.text
    assert response.json()["detail"]
    assert await count(app_db, "contract_events") == events_before
    assert await count(app_db, "contract_signatures") == 0


async def test_signing_a_different_text_is_refused(
    client: AsyncTestClient[Litestar], parties: dict
) -> None:
    contract = await _request(client, parties)
    await _do(client, parties["lecos"], contract, "offer")
    response = await _do(client, parties["leipzig"], contract, "sign", signed="0" * 64)
    assert response.status_code == 409
    assert "SHA-256" in response.json()["detail"]


async def test_concurrent_signing_has_exactly_one_winner(
    client: AsyncTestClient[Litestar], parties: dict, app_db: Database
) -> None:
    """GIVEN an offered contract WHEN eight signatures arrive at once THEN one 200,
    seven 409, one signature and one sign event."""
    contract = await _request(client, parties)
    await _do(client, parties["lecos"], contract, "offer")
    results = await asyncio.gather(
        *(_do(client, parties["leipzig"], contract, "sign") for _ in range(8))
    )
    assert sorted(r.status_code for r in results) == [200] + [409] * 7
    assert await count(app_db, "contract_signatures") == 1
    async with (
        app_db.read() as conn,
        conn.execute(
            "SELECT COUNT(*) FROM contract_events WHERE action = 'sign'"
        ) as cur,
    ):
        assert (await cur.fetchone())[0] == 1


async def test_concurrent_signing_from_two_processes_worth_of_connections(
    client: AsyncTestClient[Litestar], parties: dict, app_db: Database
) -> None:
    """GIVEN two independent Database objects on the same file (as two processes
    would have) WHEN both sign at once THEN exactly one signature is stored."""
    from marketplace.contracts import service
    from marketplace.contracts.schemas import Action
    from marketplace.errors import InvalidTransition
    from marketplace.identity import service as identity

    contract = await _request(client, parties)
    await _do(client, parties["lecos"], contract, "offer")
    principal = await identity.authenticate(app_db, "leipzig", "correct-horse")
    async with Database(app_db.path) as first, Database(app_db.path) as second:
        outcomes = await asyncio.gather(
            *(
                service.transition(
                    db, principal, contract["id"], Action.SIGN, contract["text_sha256"]
                )
                for db in (first, second)
            ),
            return_exceptions=True,
        )
    assert sum(isinstance(o, InvalidTransition) for o in outcomes) == 1
    assert await count(app_db, "contract_signatures") == 1


async def test_audit_log_and_signatures_cannot_be_rewritten(
    client: AsyncTestClient[Litestar], parties: dict, app_db: Database
) -> None:
    contract = await _request(client, parties)
    await _do(client, parties["lecos"], contract, "offer")
    await _do(client, parties["leipzig"], contract, "sign")
    for sql in (
        "UPDATE contract_events SET actor = 'x'",
        "DELETE FROM contract_events",
        "UPDATE contract_signatures SET text_sha256 = text_sha256",
        "DELETE FROM contract_signatures",
        "UPDATE contracts SET text = 'geändert'",
    ):
        with pytest.raises(sqlite3.IntegrityError):
            async with app_db.transaction() as conn:
                await conn.execute(sql)


async def test_verification_detects_a_changed_text(
    client: AsyncTestClient[Litestar], parties: dict, app_db: Database
) -> None:
    """GIVEN a signed contract whose text is changed behind the database's back (the
    trigger dropped, as an attacker with file access could) WHEN verified THEN it
    is reported as not intact."""
    contract = await _request(client, parties)
    await _do(client, parties["lecos"], contract, "offer")
    await _do(client, parties["leipzig"], contract, "sign")
    async with app_db.transaction() as conn:
        await conn.execute("DROP TRIGGER contracts_text_is_fixed")
        await conn.execute("UPDATE contracts SET text = text || ' Zusatz.'")
    verified = (
        await client.get(
            f"/api/v1/contracts/{contract['id']}/verify", headers=parties["leipzig"]
        )
    ).json()
    assert verified["intact"] is False
    assert verified["signatures"][0]["matches"] is False


async def test_automatic_contract_handling(
    client: AsyncTestClient[Litestar], parties: dict
) -> None:
    """GIVEN Lecos automates contracts WHEN Leipzig requests and signs THEN the
    contract is offered, countersigned and active without a person at Lecos."""
    settings = {"auto_offer": True, "auto_countersign": True}
    refused = await client.put(
        "/api/v1/providers/lecos/contract-settings",
        json=settings,
        headers=parties["dataport"],
    )
    assert refused.status_code == 403
    saved = await client.put(
        "/api/v1/providers/lecos/contract-settings",
        json=settings,
        headers=parties["lecos"],
    )
    assert saved.status_code == 200
    contract = await _request(client, parties)
    assert contract["state"] == "offered"
    signed = await _do(client, parties["leipzig"], contract, "sign")
    assert signed.json()["state"] == "active"
    events = (
        await client.get(
            f"/api/v1/contracts/{contract['id']}/events", headers=parties["leipzig"]
        )
    ).json()
    assert [e["actor_role"] for e in events] == [
        "municipality_buyer",
        "system",
        "municipality_buyer",
        "system",
        "system",
    ]


async def test_lists_are_scoped(
    client: AsyncTestClient[Litestar], parties: dict
) -> None:
    """GIVEN Leipzig's contract WHEN Dresden or Dataport list THEN they see nothing;
    Lecos and the operator see it; anonymous gets 401."""
    await _request(client, parties)
    assert (await client.get("/api/v1/contracts")).status_code == 401
    for who, expected in (
        ("dresden", 0),
        ("dataport", 0),
        ("lecos", 1),
        ("leipzig", 1),
        ("operator", 1),
    ):
        listed = await client.get("/api/v1/contracts", headers=parties[who])
        assert len(listed.json()) == expected, who


async def test_duplicate_open_contract_is_refused(
    client: AsyncTestClient[Litestar], parties: dict, app_db: Database
) -> None:
    await _request(client, parties)
    before = await count(app_db, "contracts")
    again = await client.post(
        "/api/v1/contracts",
        json={"offer_version_id": parties["version"]},
        headers=parties["leipzig"],
    )
    assert again.status_code == 409
    assert await count(app_db, "contracts") == before
    other_city = await client.post(
        "/api/v1/contracts",
        json={"offer_version_id": parties["version"], "municipality_ags": "14612000"},
        headers=parties["leipzig"],
    )
    assert other_city.status_code == 403


def test_end_of_notice_is_the_end_of_a_month() -> None:
    assert end_of_notice(date(2026, 11, 22), 6) == date(2027, 5, 31)
    assert end_of_notice(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert end_of_notice(date(2026, 12, 5), 0) == date(2026, 12, 31)
