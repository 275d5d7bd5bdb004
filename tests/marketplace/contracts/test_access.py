"""Who may see and move a contract: every denial, and that denials write nothing.

A stranger (another municipality, another provider) gets 404 exactly as for a
contract that does not exist, so it does not learn that the contract exists; a
party acting out of turn gets 403; no credentials get 401.
"""

from __future__ import annotations

import msgspec

from marketplace.contracts.machine import allowed_actions
from marketplace.contracts.schemas import Contract as ContractView
from marketplace.db import Database
from marketplace.identity import service as identity
from tests.marketplace.contracts.flow import (
    Client,
    Contract,
    Headers,
    Parties,
    act,
    counts,
    drive,
    new_version,
    request,
)

LOGINS = {
    "leipzig": "leipzig",
    "lecos": "lecos",
    "operator": "op",
    "dresden": "dresden",
    "dataport": "dataport",
}
ACTIONS = ("offer", "sign", "countersign", "activate", "terminate", "cancel")


async def _call(
    client: Client, who: Headers | None, contract: Contract, what: str
) -> tuple[int, str]:
    if what in ACTIONS:
        response = await act(client, who, contract, what)
    else:
        suffix = "" if what == "read" else f"/{what}"
        response = await client.get(
            f"/api/v1/contracts/{contract['id']}{suffix}", headers=who or {}
        )
    return response.status_code, response.json().get("detail", "")


async def test_every_denial_on_a_contract(
    client: Client, parties: Parties, app_db: Database
) -> None:
    """GIVEN Leipzig's contract with Lecos, offered WHEN anyone else reads or acts on
    it THEN anonymous 401, Dresden and Dataport 404 with the very message a missing
    contract gets, the parties out of turn and the operator signing 403; and not
    one row is written by all these attempts."""
    contract = await drive(
        client,
        parties,
        await request(client, parties.leipzig, parties.version),
        "offered",
    )
    missing = {**contract, "id": contract["id"] + 1000}
    _, missing_detail = await _call(client, parties.leipzig, missing, "read")
    assert missing_detail == f"Den Vertrag {missing['id']} gibt es nicht."
    hidden = missing_detail.replace(str(missing["id"]), str(contract["id"]))
    expected: dict[tuple[str, str], int] = {}
    for what in ("read", "events", "verify", *ACTIONS):
        expected[("anonymous", what)] = 401
        expected[("dresden", what)] = 404
        expected[("dataport", what)] = 404
    for what in ("offer", "countersign", "activate"):
        expected[("leipzig", what)] = 403  # the provider's steps
    expected[("lecos", "sign")] = 403  # the municipality's step
    for what in ("sign", "countersign"):
        expected[("operator", what)] = 403  # nobody signs for a party
    before = await counts(app_db)
    wrong = []
    for (who, what), status in expected.items():
        headers = None if who == "anonymous" else parties[who]
        got, detail = await _call(client, headers, contract, what)
        if got != status or (status == 404 and detail != hidden) or not detail:
            wrong.append((who, what, got, detail))
    assert wrong == []
    assert await counts(app_db) == before
    after = await client.get(
        f"/api/v1/contracts/{contract['id']}", headers=parties.lecos
    )
    assert after.json()["state"] == "offered"


async def test_lists_are_scoped(client: Client, parties: Parties) -> None:
    """GIVEN Leipzig's contract with Lecos and Dresden's with Dataport WHEN each lists
    contracts THEN each party sees only its own, the operator both, anonymous 401."""
    leipzig = await request(client, parties.leipzig, parties.version)
    dresden = await request(client, parties.dresden, parties.dataport_version)
    assert (await client.get("/api/v1/contracts")).status_code == 401
    for who, ids in (
        ("leipzig", [leipzig["id"]]),
        ("lecos", [leipzig["id"]]),
        ("dresden", [dresden["id"]]),
        ("dataport", [dresden["id"]]),
        ("operator", [dresden["id"], leipzig["id"]]),
    ):
        listed = await client.get("/api/v1/contracts", headers=parties[who])
        assert [c["id"] for c in listed.json()] == ids, who


REQUEST_REFUSALS = [
    ("anonymous", {}, 401),
    ("lecos", {}, 403),  # providers offer, they do not ask for contracts
    ("leipzig", {"municipality_ags": "14612000"}, 403),  # not for Dresden
    ("operator", {}, 422),  # the operator must say for which municipality
    ("operator", {"municipality_ags": "09162000"}, 404),  # unknown municipality
]


async def test_who_may_request_a_contract(
    client: Client, parties: Parties, app_db: Database
) -> None:
    """GIVEN a published offer WHEN someone not entitled asks for a contract THEN a
    German refusal each time and no row."""
    before = await counts(app_db)
    wrong = []
    for who, body, status in REQUEST_REFUSALS:
        response = await client.post(
            "/api/v1/contracts",
            json={"offer_version_id": parties.version, **body},
            headers={} if who == "anonymous" else parties[who],
        )
        if response.status_code != status or not response.json().get("detail"):
            wrong.append((who, body, response.status_code, response.text))
    assert wrong == []
    assert await counts(app_db) == before


SETTINGS_REFUSALS: list[tuple[str, str, dict[str, object], int]] = [
    ("anonymous", "lecos", {}, 401),
    ("leipzig", "lecos", {}, 403),
    ("dataport", "lecos", {}, 403),
    ("operator", "unbekannt", {}, 404),
    ("lecos", "lecos", {"auto_sign": True}, 400),
    ("lecos", "lecos", {"auto_offer": "ja"}, 400),
]


async def test_who_may_automate_a_providers_contracts(
    client: Client, parties: Parties
) -> None:
    """GIVEN Lecos's contract settings WHEN someone else, or with a bad body, changes
    them THEN refused each time, and the settings stay off."""
    wrong = []
    for who, provider, body, status in SETTINGS_REFUSALS:
        response = await client.put(
            f"/api/v1/providers/{provider}/contract-settings",
            json={"auto_offer": True, **body},
            headers={} if who == "anonymous" else parties[who],
        )
        if response.status_code != status:
            wrong.append((who, provider, body, response.status_code, response.text))
    assert wrong == []
    settings = await client.get("/api/v1/providers/lecos/contract-settings")
    assert settings.json() == {"auto_offer": False, "auto_countersign": False}


async def test_settings_of_an_unknown_provider_are_not_found(client: Client) -> None:
    """GIVEN no provider "unbekannt" WHEN its settings are read THEN 404."""
    response = await client.get("/api/v1/providers/unbekannt/contract-settings")
    assert response.status_code == 404
    assert response.json()["detail"] == "Den Anbieter „unbekannt“ gibt es nicht."


async def test_allowed_actions_match_what_is_accepted(
    client: Client, parties: Parties, app_db: Database
) -> None:
    """GIVEN an offered and a signed contract WHEN the pages ask what each caller may
    do next THEN they get exactly the actions the API accepts from them there."""
    offered = await drive(
        client,
        parties,
        await request(client, parties.leipzig, parties.version),
        "offered",
    )
    signed = await drive(
        client,
        parties,
        await request(
            client, parties.leipzig, await new_version(app_db, parties.version)
        ),
        "signed",
    )
    expected = {
        ("offered", "leipzig"): ["sign", "cancel"],
        ("offered", "lecos"): ["cancel"],
        ("offered", "operator"): ["cancel"],
        ("offered", "dresden"): [],
        ("signed", "leipzig"): ["cancel"],
        ("signed", "lecos"): ["countersign", "cancel"],
        ("signed", "operator"): ["cancel"],
        ("signed", "dataport"): [],
    }
    for (state, who), actions in expected.items():
        found = msgspec.convert(offered if state == "offered" else signed, ContractView)
        principal = await identity.authenticate(app_db, LOGINS[who], "correct-horse")
        assert [a.value for a in allowed_actions(found, principal)] == actions, who
    refused = await act(client, parties.operator, offered, "sign")
    assert refused.json()["detail"] == (
        "Nur die Kommune dieses Vertrags darf „Unterzeichnen“ ausführen."
    )
