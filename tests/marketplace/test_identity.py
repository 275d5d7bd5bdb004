"""Accounts, tokens and the refusal of unknown or missing credentials."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from marketplace.identity.schemas import Role
from tests.marketplace.conftest import MakeAccount


async def test_token_exchange_and_me(
    client: AsyncTestClient[Litestar], make_account: MakeAccount
) -> None:
    """GIVEN a municipality account WHEN it exchanges its password for a token
    THEN /me reports its role and municipality, and the token is stored only hashed."""
    await make_account("leipzig", Role.MUNICIPALITY_BUYER, municipality_ags="14713000")
    response = await client.post(
        "/api/v1/auth/tokens", json={"login": "leipzig", "password": "correct-horse"}
    )
    assert response.status_code == 201
    token = response.json()["token"]
    me = await client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["municipality_ags"] == "14713000"
    assert me.json()["role"] == "municipality_buyer"
    async with (
        client.app.state.db.read() as conn,
        conn.execute("SELECT token_hash FROM api_tokens") as cur,
    ):
        stored = [row[0] for row in await cur.fetchall()]
    assert token not in stored
    assert all(len(digest) == 64 for digest in stored)


async def test_wrong_password_and_unknown_user_get_the_same_answer(
    client: AsyncTestClient[Litestar], make_account: MakeAccount
) -> None:
    """GIVEN an account WHEN a wrong password or an unknown login is tried
    THEN both get the same 401 problem, so logins cannot be probed."""
    await make_account("dataport", Role.PROVIDER_ADMIN, provider_id="dataport")
    wrong = await client.post(
        "/api/v1/auth/tokens", json={"login": "dataport", "password": "not-the-one"}
    )
    unknown = await client.post(
        "/api/v1/auth/tokens", json={"login": "nobody", "password": "not-the-one"}
    )
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert wrong.headers["content-type"].startswith("application/problem+json")


async def test_revoked_token_is_refused_not_treated_as_anonymous(
    client: AsyncTestClient[Litestar], make_account: MakeAccount
) -> None:
    """GIVEN a token WHEN it is revoked THEN every later call with it gets 401."""
    headers = await make_account("op", Role.OPERATOR)
    assert (
        await client.delete("/api/v1/auth/tokens/current", headers=headers)
    ).status_code == 204
    response = await client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert "widerrufen" in response.json()["detail"]


async def test_missing_and_malformed_credentials(
    client: AsyncTestClient[Litestar],
) -> None:
    """GIVEN no or malformed credentials WHEN /me is asked THEN 401 with a German hint."""
    assert (await client.get("/api/v1/me")).status_code == 401
    basic = await client.get("/api/v1/me", headers={"Authorization": "Basic abc"})
    assert basic.status_code == 401
    assert "Bearer" in basic.json()["detail"]
