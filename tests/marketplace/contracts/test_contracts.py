"""The contract state machine, signatures, audit log and automation, through the API."""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, date, datetime, timedelta

import msgspec
import pytest

from marketplace.contracts.machine import TRANSITIONS, end_of_notice, in_force
from marketplace.contracts.schemas import Contract
from marketplace.db import Database
from tests.marketplace.contracts.flow import (
    ACTOR,
    PATH,
    Client,
    Parties,
    act,
    count,
    counts,
    drive,
    new_version,
    request,
)

FULL_TEMPLATE = (
    "Nachnutzungsvereinbarung zwischen {{anbieter}} und {{kommune}} (AGS {{ags}},"
    " {{land}}) über {{leistung}} (LeiKa {{leika}}), Angebot „{{angebot}}“ Version"
    " {{version}} vom {{veroeffentlicht}}, {{beschaffungsweg}}, Kündigungsfrist"
    " {{kuendigungsfrist}} Monate.\n{{entgelt}}"
)


async def test_full_lifecycle_with_audit_log(
    client: Client, parties: Parties, app_db: Database
) -> None:
    """GIVEN Leipzig and Lecos WHEN the contract goes draft -> ... -> terminated THEN
    every step is in the audit log with who, role, from, to and the text hash, both
    signatures carry the SHA-256 of the text, and the end date follows the notice
    period."""
    full = await new_version(app_db, parties.version, template=FULL_TEMPLATE)
    contract = await request(client, parties.leipzig, full)
    assert contract["state"] == "draft"
    assert contract["text"] == (
        "Nachnutzungsvereinbarung zwischen Lecos und Gemeinde 14713000 (AGS 14713000,"
        " Sachsen) über Bewohnerparkausweis (LeiKa 99070004012000), Angebot"
        " „Bewohnerparken digital“ Version 2 vom 01.01.2026, Verwaltungsvereinbarung,"
        " Kündigungsfrist 6 Monate.\n"
        "– Anbindung: 0,00 € jährlich, einmalig 1.500,00 € – einmalig im ersten Jahr\n"
        "– Betrieb: 2.400,00 € jährlich – jährliche Pauschale\n"
        "Jährliches Entgelt: 2.400,00 €; im ersten Jahr einschließlich einmaliger"
        " Kosten: 3.900,00 €."
    )
    assert contract["annual_cents"] == 240_000
    assert contract["first_year_cents"] == 390_000
    final = await drive(client, parties, contract, "terminated")
    assert [s["party"] for s in final["signatures"]] == ["municipality", "provider"]
    assert [s["signer"] for s in final["signatures"]] == ["leipzig", "lecos"]
    assert {s["text_sha256"] for s in final["signatures"]} == {contract["text_sha256"]}
    today = datetime.now(UTC).date()
    assert final["active_since"][:10] == today.isoformat()
    assert final["ends_at"] == end_of_notice(today, 6).isoformat()
    events = (
        await client.get(
            f"/api/v1/contracts/{contract['id']}/events", headers=parties.lecos
        )
    ).json()
    assert [(e["from_state"], e["action"], e["to_state"]) for e in events] == [
        (None, "request", "draft"),
        ("draft", "offer", "offered"),
        ("offered", "sign", "signed"),
        ("signed", "countersign", "countersigned"),
        ("countersigned", "activate", "active"),
        ("active", "terminate", "terminated"),
    ]
    assert [(e["actor"], e["actor_role"]) for e in events] == [
        ("leipzig", "municipality_buyer"),
        ("lecos", "provider_admin"),
        ("leipzig", "municipality_buyer"),
        ("lecos", "provider_admin"),
        ("lecos", "provider_admin"),
        ("leipzig", "municipality_buyer"),
    ]
    assert {e["text_sha256"] for e in events} == {contract["text_sha256"]}
    assert all(e["at"].startswith(today.isoformat()) for e in events)
    verified = await client.get(
        f"/api/v1/contracts/{contract['id']}/verify", headers=parties.leipzig
    )
    assert verified.json()["intact"] is True


async def test_every_refused_transition_names_the_state(
    client: Client, parties: Parties, app_db: Database
) -> None:
    """GIVEN a contract in each state WHEN the right party tries each action the
    state does not allow THEN 409 with a German message naming the current state
    and the states the action needs, and no signature or audit row is written."""
    failures = []
    version = parties.version
    for state in PATH:
        contract = await drive(
            client, parties, await request(client, parties.leipzig, version), state
        )
        if state not in ("terminated", "cancelled"):
            version = await new_version(app_db, version)  # the next one needs its own
        for action, (sources, _, _) in TRANSITIONS.items():
            if state in sources:
                continue
            before = await counts(app_db)
            response = await act(client, parties[ACTOR[action]], contract, action)
            problem = response.json()
            if (
                response.status_code != 409
                or problem["state"] != state
                or not problem["detail"].startswith("Der Vertrag ist ")
                or "ist nur möglich, wenn er" not in problem["detail"]
                or problem["allowed_states"] != [s.value for s in sources]
                or await counts(app_db) != before
            ):
                failures.append((state, action, response.status_code, problem))
    assert failures == []


@pytest.mark.parametrize(
    ("state", "who"),
    [
        ("draft", "leipzig"),  # the municipality no longer wants it
        ("draft", "lecos"),
        ("offered", "leipzig"),  # declined
        ("offered", "lecos"),  # offer withdrawn
        ("signed", "lecos"),  # the provider will not countersign
        ("signed", "operator"),
    ],
)
async def test_exits_before_the_contract_is_concluded(
    client: Client, parties: Parties, app_db: Database, state: str, who: str
) -> None:
    """GIVEN a contract not yet countersigned WHEN a party cancels it THEN it is
    cancelled, audited, and the municipality may ask for a new contract."""
    contract = await drive(
        client, parties, await request(client, parties.leipzig, parties.version), state
    )
    response = await act(client, parties[who], contract, "cancel")
    assert response.status_code == 200, response.text
    assert response.json()["state"] == "cancelled"
    assert await count(app_db, "contract_events", "action = 'cancel'") == 1
    again = await request(client, parties.leipzig, parties.version)
    assert again["state"] == "draft"


async def test_signing_a_different_text_is_refused(
    client: Client, parties: Parties, app_db: Database
) -> None:
    """GIVEN an offered contract WHEN Leipzig signs with the hash of another text THEN
    409 naming SHA-256, and nothing is signed."""
    contract = await drive(
        client,
        parties,
        await request(client, parties.leipzig, parties.version),
        "offered",
    )
    before = await counts(app_db)
    response = await act(client, parties.leipzig, contract, "sign", signed="0" * 64)
    assert response.status_code == 409
    assert "SHA-256" in response.json()["detail"]
    assert response.json()["expected_sha256"] == contract["text_sha256"]
    assert await counts(app_db) == before


async def test_audit_log_and_signatures_cannot_be_rewritten(
    client: Client, parties: Parties, app_db: Database
) -> None:
    """GIVEN a signed contract WHEN anyone with database access tries to change or
    delete audit rows, signatures or the offered text THEN SQLite refuses, and
    everything is still there."""
    contract = await drive(
        client,
        parties,
        await request(client, parties.leipzig, parties.version),
        "signed",
    )
    before = await counts(app_db)
    for sql, message in (
        ("UPDATE contract_events SET actor = 'x'", "append-only"),
        ("DELETE FROM contract_events", "append-only"),
        ("UPDATE contract_signatures SET text_sha256 = text_sha256", "kept"),
        ("DELETE FROM contract_signatures", "kept"),
        ("UPDATE contracts SET text = 'geändert'", "fixed once offered"),
        ("UPDATE contracts SET text_sha256 = 'f' || substr(text_sha256, 2)", "fixed"),
        ("UPDATE contracts SET state = 'active'", "outside the state machine"),
        ("UPDATE contracts SET state = 'draft'", "outside the state machine"),
        ("DELETE FROM contracts", "contracts are kept"),
    ):
        with pytest.raises(sqlite3.IntegrityError, match=message):
            async with app_db.transaction() as conn:
                await conn.execute(sql)
    assert await counts(app_db) == before
    unchanged = await client.get(
        f"/api/v1/contracts/{contract['id']}", headers=parties.leipzig
    )
    assert unchanged.json()["text"] == contract["text"]


async def test_verification_detects_a_changed_text(
    client: Client, parties: Parties, app_db: Database
) -> None:
    """GIVEN a signed contract whose text is changed behind the database's back (the
    trigger dropped, as an attacker with file access could) WHEN verified THEN it
    is reported as not intact, and which signature no longer matches."""
    contract = await drive(
        client,
        parties,
        await request(client, parties.leipzig, parties.version),
        "signed",
    )
    async with app_db.transaction() as conn:
        await conn.execute("DROP TRIGGER contracts_text_is_fixed")
        await conn.execute("UPDATE contracts SET text = text || ' Zusatz.'")
    verified = (
        await client.get(
            f"/api/v1/contracts/{contract['id']}/verify", headers=parties.leipzig
        )
    ).json()
    assert verified["intact"] is False
    assert verified["stored_sha256"] == contract["text_sha256"]
    assert verified["computed_sha256"] != contract["text_sha256"]
    assert verified["signatures"] == [
        {"party": "municipality", "signer": "leipzig", "matches": False}
    ]


async def test_verification_detects_a_text_changed_with_its_hash(
    client: Client, parties: Parties, app_db: Database
) -> None:
    """GIVEN an attacker who changes the text AND its stored hash WHEN verified THEN
    the signature, which kept the hash the municipality signed, gives it away."""
    contract = await drive(
        client,
        parties,
        await request(client, parties.leipzig, parties.version),
        "active",
    )
    async with app_db.transaction() as conn:
        await conn.execute("DROP TRIGGER contracts_text_is_fixed")
        await conn.execute(
            "UPDATE contracts SET text = ?, text_sha256 = ?",
            ("Anderer Vertrag.", "a" * 64),
        )
    verified = (
        await client.get(
            f"/api/v1/contracts/{contract['id']}/verify", headers=parties.lecos
        )
    ).json()
    assert verified["intact"] is False
    assert [s["matches"] for s in verified["signatures"]] == [False, False]


async def test_automatic_contract_handling(client: Client, parties: Parties) -> None:
    """GIVEN Lecos automates contracts (seed 001 L949-952) WHEN Leipzig requests and
    signs THEN the contract is offered, countersigned and active without a person
    at Lecos, and the audit log names the automation."""
    settings = {"auto_offer": True, "auto_countersign": True}
    saved = await client.put(
        "/api/v1/providers/lecos/contract-settings",
        json=settings,
        headers=parties.lecos,
    )
    assert saved.status_code == 200
    assert (await client.get("/api/v1/providers/lecos/contract-settings")).json() == (
        settings
    )
    contract = await request(client, parties.leipzig, parties.version)
    assert contract["state"] == "offered"
    signed = await act(client, parties.leipzig, contract, "sign")
    assert signed.json()["state"] == "active"
    assert [s["signer"] for s in signed.json()["signatures"]] == [
        "leipzig",
        "Vertragsautomatik lecos",
    ]
    events = (
        await client.get(
            f"/api/v1/contracts/{contract['id']}/events", headers=parties.leipzig
        )
    ).json()
    assert [(e["action"], e["actor_role"]) for e in events] == [
        ("request", "municipality_buyer"),
        ("offer", "system"),
        ("sign", "municipality_buyer"),
        ("countersign", "system"),
        ("activate", "system"),
    ]


async def test_offer_only_automation_leaves_countersigning_to_a_person(
    client: Client, parties: Parties
) -> None:
    """GIVEN Lecos offers automatically but countersigns by hand WHEN Leipzig signs
    THEN the contract waits, signed, for Lecos."""
    await client.put(
        "/api/v1/providers/lecos/contract-settings",
        json={"auto_offer": True},
        headers=parties.lecos,
    )
    contract = await request(client, parties.leipzig, parties.version)
    signed = await act(client, parties.leipzig, contract, "sign")
    assert signed.json()["state"] == "signed"


async def test_the_operator_administers_but_never_signs(
    client: Client, parties: Parties
) -> None:
    """GIVEN the operator WHEN it requests a contract for Leipzig and moves it THEN it
    may offer, activate and terminate, but signing stays with the parties (403)."""
    contract = await request(
        client, parties.operator, parties.version, municipality_ags="14713000"
    )
    assert contract["municipality_ags"] == "14713000"
    offered = await act(client, parties.operator, contract, "offer")
    assert offered.status_code == 200
    contract = offered.json()
    for action in ("sign", "countersign"):
        refused = await act(client, parties.operator, contract, action)
        assert refused.status_code == 403, action
    contract = await drive(client, parties, contract, "countersigned")
    for action, state in (("activate", "active"), ("terminate", "terminated")):
        response = await act(client, parties.operator, contract, action)
        assert response.json()["state"] == state


async def test_duplicate_open_contract_is_refused(
    client: Client, parties: Parties, app_db: Database
) -> None:
    """GIVEN Leipzig's open contract for a version WHEN it asks again THEN 409 in
    German and no second contract or audit row."""
    await request(client, parties.leipzig, parties.version)
    before = await counts(app_db)
    again = await client.post(
        "/api/v1/contracts",
        json={"offer_version_id": parties.version},
        headers=parties.leipzig,
    )
    assert again.status_code == 409
    assert "bereits ein offener Vertrag" in again.json()["detail"]
    assert await counts(app_db) == before


async def test_a_broken_template_is_refused_when_rendering(
    client: Client, parties: Parties, app_db: Database
) -> None:
    """GIVEN a published version whose template names an unknown placeholder (written
    past the catalog's check, e.g. by an older release) WHEN Leipzig asks for a
    contract THEN 422 naming the placeholder, and nothing is written."""
    async with app_db.transaction() as conn:
        await conn.execute(
            "INSERT INTO offer_versions (offer_id, version, status, title, description,"
            " legal_route, cost_model, contract_template, notice_period_months,"
            " created_at, published_at) SELECT offer_id, 9, status, title, description,"
            " legal_route, cost_model, 'Vertrag mit {{buergermeister}}', 3, created_at,"
            " published_at FROM offer_versions WHERE id = ?",
            (parties.version,),
        )
        async with conn.execute("SELECT MAX(id) FROM offer_versions") as cur:
            row = await cur.fetchone()
    assert row is not None
    before = await counts(app_db)
    response = await client.post(
        "/api/v1/contracts", json={"offer_version_id": row[0]}, headers=parties.leipzig
    )
    assert response.status_code == 422
    assert "„{{buergermeister}}“" in response.json()["detail"]
    assert await counts(app_db) == before


BAD_REQUESTS: list[tuple[dict[str, object], int]] = [
    ({"offer_version_id": 999_999}, 404),  # no such version
    ({"offer_version_id": 0}, 400),
    ({"offer_version_id": "eins"}, 400),
    ({"offer_version_id": 1, "municipality_ags": "1471300"}, 400),  # 7 digits
    ({"offer_version_id": 1, "expected_cases": -1}, 400),
    ({"offer_version_id": 1, "expected_cases": 10**12}, 400),
    ({"offer_version_id": 2**63}, 400),
    ({"offer_version_id": 1, "unbekannt": True}, 400),
]


async def test_bad_contract_requests(
    client: Client, parties: Parties, app_db: Database
) -> None:
    """GIVEN malformed or impossible requests WHEN posted THEN a German problem
    response each, and no contract."""
    wrong = []
    for body, status in BAD_REQUESTS:
        response = await client.post(
            "/api/v1/contracts", json=body, headers=parties.leipzig
        )
        problem = response.headers["content-type"].startswith("application/problem")
        if response.status_code != status or not problem:
            wrong.append((body, response.status_code, response.text))
    assert wrong == []
    assert await count(app_db, "contracts") == 0


BAD_SIGNATURES = [
    ("sign", b""),  # no body
    ("sign", b'{"text_sha256": '),  # malformed JSON
    ("sign", b'{"text_sha256": "ABC"}'),  # not a SHA-256
    ("sign", b'{"text_sha256": "' + b"a" * 64 + b'", "x": 1}'),  # unknown field
    ("countersign", b"[]"),
]


async def test_bad_signature_requests(
    client: Client, parties: Parties, app_db: Database
) -> None:
    """GIVEN an offered contract WHEN signature requests are malformed THEN 400
    problems, and no signature, no audit row, no state change."""
    contract = await drive(
        client,
        parties,
        await request(client, parties.leipzig, parties.version),
        "offered",
    )
    before = await counts(app_db)
    wrong = []
    for path, content in BAD_SIGNATURES:
        response = await client.post(
            f"/api/v1/contracts/{contract['id']}/{path}",
            content=content,
            headers={**parties.leipzig, "Content-Type": "application/json"},
        )
        problem = response.headers["content-type"].startswith("application/problem")
        if response.status_code != 400 or not problem:
            wrong.append((path, content, response.status_code, response.text))
    assert wrong == []
    assert await counts(app_db) == before


async def test_absurd_contract_ids_are_refused_at_the_edge(
    client: Client, parties: Parties
) -> None:
    """GIVEN an id beyond SQLite's integers WHEN used in a path THEN 400, not 500."""
    for suffix in ("", "/events", "/verify", "/offer"):
        method = client.post if suffix == "/offer" else client.get
        response = await method(
            f"/api/v1/contracts/{2**64}{suffix}", headers=parties.lecos
        )
        assert response.status_code == 400, (suffix, response.text)


async def test_a_withdrawn_offer_gets_no_new_contracts(
    client: Client, parties: Parties, app_db: Database
) -> None:
    """GIVEN Lecos withdrew its offer WHEN Leipzig asks for a contract THEN 404."""
    async with app_db.transaction() as conn:
        await conn.execute(
            "UPDATE offers SET withdrawn_at = '2026-02-01T00:00:00+00:00'"
        )
    response = await client.post(
        "/api/v1/contracts",
        json={"offer_version_id": parties.version},
        headers=parties.leipzig,
    )
    assert response.status_code == 404
    assert await count(app_db, "contracts") == 0


async def test_new_contracts_only_for_the_current_version(
    client: Client, parties: Parties, app_db: Database
) -> None:
    """GIVEN Leipzig's contract for version 1 WHEN Lecos publishes version 2 THEN
    Leipzig keeps version 1, but a new contract for version 1 is refused (409
    naming version 2) and nothing is written; version 2 can be contracted."""
    kept = await drive(
        client,
        parties,
        await request(client, parties.leipzig, parties.version),
        "active",
    )
    version_2 = await new_version(app_db, parties.version)
    before = await counts(app_db)
    old = await client.post(
        "/api/v1/contracts",
        json={"offer_version_id": parties.version},
        headers=parties.dresden,
    )
    assert old.status_code == 409
    assert "durch Version 2 ersetzt" in old.json()["detail"]
    assert old.json()["current_version"] == 2
    assert await counts(app_db) == before
    current = await request(client, parties.dresden, version_2)
    assert current["offer_version_id"] == version_2
    still = await client.get(f"/api/v1/contracts/{kept['id']}", headers=parties.leipzig)
    assert still.json()["offer_version_id"] == parties.version
    assert still.json()["text"] == kept["text"]


async def test_in_force_until_the_last_day(client: Client, parties: Parties) -> None:
    """GIVEN contracts in each state WHEN asked whether they bind the parties THEN
    only countersigned, active, and terminated up to their last day do."""
    contract = await request(client, parties.leipzig, parties.version)
    today = datetime.now(UTC).date()
    seen = {}
    for state in ("draft", "offered", "signed", "countersigned", "active"):
        contract = await drive(client, parties, contract, state)
        seen[state] = in_force(msgspec.convert(contract, Contract), today)
    terminated = msgspec.convert(
        await drive(client, parties, contract, "terminated"), Contract
    )
    last_day = date.fromisoformat(terminated.ends_at or "")
    assert seen == {
        "draft": False,
        "offered": False,
        "signed": False,
        "countersigned": True,
        "active": True,
    }
    assert in_force(terminated, last_day) is True
    assert in_force(terminated, last_day + timedelta(days=1)) is False


def test_end_of_notice_is_the_end_of_a_month() -> None:
    """GIVEN notice given on a day WHEN the period runs THEN the contract ends on the
    last day of the month the period ends in, also across years and in February."""
    assert end_of_notice(date(2026, 11, 22), 6) == date(2027, 5, 31)
    assert end_of_notice(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert end_of_notice(date(2027, 12, 31), 2) == date(2028, 2, 29)
    assert end_of_notice(date(2026, 12, 5), 0) == date(2026, 12, 31)
    assert end_of_notice(date(2026, 3, 1), 24) == date(2028, 3, 31)


async def test_the_database_knows_the_same_state_machine(app_db: Database) -> None:
    """GIVEN the trigger that guards state changes in the database WHEN its allowed
    pairs are read from the schema THEN they are exactly the service's transitions."""
    async with (
        app_db.read() as conn,
        conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = ?",
            ("contracts_follow_the_state_machine",),
        ) as cur,
    ):
        row = await cur.fetchone()
    assert row is not None
    in_database = set(re.findall(r"'(\w+)>(\w+)'", row[0]))
    in_service = {
        (source.value, target.value)
        for sources, target, _ in TRANSITIONS.values()
        for source in sources
    }
    assert in_database == in_service


async def test_the_audit_log_keeps_the_account_of_each_actor(
    client: Client, parties: Parties, app_db: Database
) -> None:
    """GIVEN a contract signed by Leipzig and countersigned by Lecos's automation WHEN
    the audit rows and signatures are read in the database THEN each names the
    account that acted (the automation none)."""
    await client.put(
        "/api/v1/providers/lecos/contract-settings",
        json={"auto_countersign": True},
        headers=parties.lecos,
    )
    contract = await drive(
        client,
        parties,
        await request(client, parties.leipzig, parties.version),
        "offered",
    )
    await act(client, parties.leipzig, contract, "sign")
    async with app_db.read() as conn:
        async with conn.execute(
            "SELECT e.action, u.login FROM contract_events e"
            " LEFT JOIN users u ON u.id = e.actor_user_id ORDER BY e.id"
        ) as cur:
            events = [tuple(row) for row in await cur.fetchall()]
        async with conn.execute(
            "SELECT s.party, u.login FROM contract_signatures s"
            " LEFT JOIN users u ON u.id = s.user_id ORDER BY s.id"
        ) as cur:
            signatures = [tuple(row) for row in await cur.fetchall()]
    assert events == [
        ("request", "leipzig"),
        ("offer", "lecos"),
        ("sign", "leipzig"),
        ("countersign", None),
        ("activate", None),
    ]
    assert signatures == [("municipality", "leipzig"), ("provider", None)]
