"""Helpers that drive contracts through the real API, shared by the contract and
subscription tests: the parties, requesting a contract, acting on it, counting rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient

from marketplace.db import Database
from marketplace.identity.schemas import Role
from tests.marketplace.conftest import MakeAccount, SeedOffer

Client = AsyncTestClient[Litestar]
Headers = dict[str, str]
Contract = dict[str, Any]

LEIPZIG_AGS = "14713000"
DRESDEN_AGS = "14612000"

# The acting party of each action, for the happy path.
ACTOR = {
    "offer": "lecos",
    "sign": "leipzig",
    "countersign": "lecos",
    "activate": "lecos",
    "terminate": "leipzig",
    "cancel": "leipzig",
}
# The actions that lead from a draft to each state.
PATH = {
    "draft": [],
    "offered": ["offer"],
    "signed": ["offer", "sign"],
    "countersigned": ["offer", "sign", "countersign"],
    "active": ["offer", "sign", "countersign", "activate"],
    "terminated": ["offer", "sign", "countersign", "activate", "terminate"],
    "cancelled": ["cancel"],
}


@dataclass(frozen=True)
class Parties:
    """Leipzig buys from Lecos; Dresden and Dataport are strangers to that deal."""

    version: int
    dataport_version: int
    leipzig: Headers
    dresden: Headers
    lecos: Headers
    dataport: Headers
    operator: Headers

    def __getitem__(self, name: str) -> Headers:
        headers: Headers = getattr(self, name)
        return headers


async def make_parties(make_account: MakeAccount, seed_offer: SeedOffer) -> Parties:
    return Parties(
        version=await seed_offer(),
        dataport_version=await seed_offer(provider_id="dataport", ags=DRESDEN_AGS),
        leipzig=await make_account(
            "leipzig", Role.MUNICIPALITY_BUYER, municipality_ags=LEIPZIG_AGS
        ),
        dresden=await make_account(
            "dresden", Role.MUNICIPALITY_BUYER, municipality_ags=DRESDEN_AGS
        ),
        lecos=await make_account("lecos", Role.PROVIDER_ADMIN, provider_id="lecos"),
        dataport=await make_account(
            "dataport", Role.PROVIDER_ADMIN, provider_id="dataport"
        ),
        operator=await make_account("op", Role.OPERATOR),
    )


async def request(
    client: Client, who: Headers, version: int, **extra: object
) -> Contract:
    response = await client.post(
        "/api/v1/contracts", json={"offer_version_id": version, **extra}, headers=who
    )
    assert response.status_code == 201, response.text
    contract: Contract = response.json()
    return contract


async def act(
    client: Client,
    who: Headers | None,
    contract: Contract,
    action: str,
    signed: str | None = None,
) -> Response:
    """POST an action; sign and countersign send the text hash (or ``signed``)."""
    body = {"text_sha256": signed or contract["text_sha256"]}
    return await client.post(
        f"/api/v1/contracts/{contract['id']}/{action}",
        json=body if action in ("sign", "countersign") else None,
        headers=who or {},
    )


async def drive(
    client: Client, parties: Parties, contract: Contract, state: str
) -> Contract:
    """Move a contract on along the happy path to ``state``, each step by its party."""
    done = len(PATH[contract["state"]])
    assert PATH[state][:done] == PATH[contract["state"]], "not on the way"
    for action in PATH[state][done:]:
        response = await act(client, parties[ACTOR[action]], contract, action)
        assert response.status_code == 200, (action, response.text)
        contract = response.json()
    assert contract["state"] == state
    return contract


async def new_version(
    db: Database, version_id: int, *, template: str | None = None
) -> int:
    """Publish a copy of a version as the offer's next version (plain SQL),
    optionally with another contract template."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO offer_versions (offer_id, version, status, title, description,"
            " land_code, legal_route, cost_model, contract_template,"
            " notice_period_months, created_at, published_at)"
            " SELECT offer_id, (SELECT MAX(version) + 1 FROM offer_versions o"
            " WHERE o.offer_id = v.offer_id), status, title, description, land_code,"
            " legal_route, cost_model, COALESCE(?, contract_template),"
            " notice_period_months, created_at, published_at"
            " FROM offer_versions v WHERE id = ?",
            (template, version_id),
        )
        assert cursor.lastrowid is not None
        return cursor.lastrowid


async def count(db: Database, table: str, where: str = "1") -> int:
    sql = f"SELECT COUNT(*) FROM {table} WHERE {where}"  # noqa: S608 - test constants
    async with db.read() as conn, conn.execute(sql) as cur:
        row = await cur.fetchone()
    assert row is not None
    return int(row[0])


async def counts(db: Database) -> dict[str, int]:
    """Rows in every table of the two contexts: "nothing half-written" checks."""
    tables = ("contracts", "contract_signatures", "contract_events", "subscriptions")
    return {table: await count(db, table) for table in tables}
