"""Who may see and change a subscription: every denial, and that denials write
nothing. Strangers get 404, like for a subscription that does not exist; the
provider sees its subscribers but does not steer them (403)."""

from __future__ import annotations

from typing import Any

from marketplace.db import Database
from tests.marketplace.contracts.flow import Client, Contract, Parties, counts, request

URL = "/api/v1/subscriptions"
SETTINGS = {"endpoint_url": "https://anders.example/eingang", "fachverfahren": "x"}


def body(contract_id: int) -> dict[str, Any]:
    return {
        "contract_id": contract_id,
        "environment": "production",
        "endpoint_url": "https://fachverfahren.leipzig.example/eingang",
        "fachverfahren": "OK.VERKEHR",
    }


async def _dresden_subscription(client: Client, parties: Parties) -> str:
    """Dresden's own active contract with Dataport and a subscription under it."""
    contract = await request(client, parties.dresden, parties.dataport_version)
    url = f"/api/v1/contracts/{contract['id']}"
    signed = {"text_sha256": contract["text_sha256"]}
    for who, step, data in (
        (parties.dataport, "offer", None),
        (parties.dresden, "sign", signed),
        (parties.dataport, "countersign", signed),
        (parties.dataport, "activate", None),
    ):
        response = await client.post(f"{url}/{step}", json=data, headers=who)
        assert response.status_code == 200, response.text
    created = await client.put(
        f"{URL}/dresden-1",
        json={**body(contract["id"]), "endpoint_url": "https://dresden.example/"},
        headers=parties.dresden,
    )
    assert created.status_code == 201, created.text
    return "dresden-1"


async def test_every_denial_on_a_subscription(
    client: Client, parties: Parties, active: Contract, app_db: Database
) -> None:
    """GIVEN Leipzig's subscription WHEN anyone else reads, changes, ends or creates
    under Leipzig's contract THEN anonymous 401, Dresden and Dataport 404 (the
    message a missing subscription gets), Lecos may read but not change (403),
    providers may not create (403); and nothing is written."""
    created = await client.put(
        f"{URL}/mine-1", json=body(active["id"]), headers=parties.leipzig
    )
    missing = await client.get(f"{URL}/nicht-da", headers=parties.leipzig)
    assert missing.status_code == 404
    assert missing.json()["detail"] == "Das Abonnement nicht-da gibt es nicht."
    hidden = "Das Abonnement mine-1 gibt es nicht."
    new = {"contract_id": active["id"], **SETTINGS, "environment": "test"}
    calls = {
        "read": ("GET", f"{URL}/mine-1", None),
        "change": ("PATCH", f"{URL}/mine-1", SETTINGS),
        "end": ("DELETE", f"{URL}/mine-1", None),
        "create": ("PUT", f"{URL}/fremd-1", new),
    }
    expected = {
        **{("anonymous", what): 401 for what in calls},
        **{("dresden", what): 404 for what in calls},
        ("dataport", "read"): 404,
        ("dataport", "change"): 404,
        ("dataport", "end"): 404,
        ("dataport", "create"): 403,
        ("lecos", "read"): 200,
        ("lecos", "change"): 403,
        ("lecos", "end"): 403,
        ("lecos", "create"): 403,
    }
    before = await counts(app_db)
    wrong = []
    for (who, what), status in expected.items():
        method, url, data = calls[what]
        headers = {} if who == "anonymous" else parties[who]
        response = await client.request(method, url, json=data, headers=headers)
        detail = response.json().get("detail", "")
        if response.status_code != status or (
            status == 404 and what != "create" and detail != hidden
        ):
            wrong.append((who, what, response.status_code, detail))
    assert wrong == []
    assert await counts(app_db) == before
    unchanged = await client.get(f"{URL}/mine-1", headers=parties.leipzig)
    assert unchanged.json() == created.json()


async def test_a_taken_id_is_a_conflict_without_content(
    client: Client, parties: Parties, active: Contract, app_db: Database
) -> None:
    """GIVEN Leipzig's subscription "mine-1" WHEN Dresden PUTs the same id THEN 409
    (the id cannot be created twice) without any of Leipzig's data."""
    await client.put(f"{URL}/mine-1", json=body(active["id"]), headers=parties.leipzig)
    before = await counts(app_db)
    response = await client.put(
        f"{URL}/mine-1", json=body(active["id"]), headers=parties.dresden
    )
    assert response.status_code == 409
    assert response.json()["detail"] == (
        "Die Kennung mine-1 ist bereits vergeben; bitte wählen Sie eine andere."
    )
    assert "14713000" not in response.text
    assert await counts(app_db) == before


async def test_lists_are_scoped(
    client: Client, parties: Parties, active: Contract
) -> None:
    """GIVEN subscriptions of Leipzig (with Lecos) and Dresden (with Dataport) WHEN
    each lists THEN each sees only its own or its subscribers, the operator all."""
    await client.put(f"{URL}/mine-1", json=body(active["id"]), headers=parties.leipzig)
    dresden = await _dresden_subscription(client, parties)
    assert (await client.get(URL)).status_code == 401
    for who, ids in (
        ("leipzig", ["mine-1"]),
        ("lecos", ["mine-1"]),
        ("dresden", [dresden]),
        ("dataport", [dresden]),
        ("operator", sorted(["mine-1", dresden])),
    ):
        listed = (await client.get(URL, headers=parties[who])).json()
        assert sorted(s["id"] for s in listed) == ids, who
    for who in ("leipzig", "lecos"):
        seen = await client.get(f"{URL}/{dresden}", headers=parties[who])
        assert seen.status_code == 404, who


async def test_the_operator_may_manage_subscriptions(
    client: Client, parties: Parties, active: Contract
) -> None:
    """GIVEN Leipzig's active contract WHEN the operator subscribes, re-points and
    ends on Leipzig's behalf THEN it may; the subscription belongs to Leipzig."""
    created = await client.put(
        f"{URL}/betrieb-1", json=body(active["id"]), headers=parties.operator
    )
    assert created.status_code == 201
    assert created.json()["municipality_ags"] == "14713000"
    changed = await client.patch(
        f"{URL}/betrieb-1", json=SETTINGS, headers=parties.operator
    )
    assert changed.json()["fachverfahren"] == "x"
    ended = await client.delete(f"{URL}/betrieb-1", headers=parties.operator)
    assert ended.json()["state"] == "ended"
    mine = await client.get(URL, headers=parties.leipzig)
    assert [s["id"] for s in mine.json()] == ["betrieb-1"]
