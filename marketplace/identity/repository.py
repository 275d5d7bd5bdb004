"""SQL for users, tokens and sessions."""

from __future__ import annotations

from datetime import datetime

from marketplace.db import Connection, Row
from marketplace.identity.schemas import Principal, Role

_PRINCIPAL_COLUMNS = (
    "users.id, users.login, users.display_name, users.role, "
    "users.provider_id, users.municipality_ags"
)


def _principal(row: Row) -> Principal:
    return Principal(
        user_id=row["id"],
        login=row["login"],
        display_name=row["display_name"],
        role=Role(row["role"]),
        provider_id=row["provider_id"],
        municipality_ags=row["municipality_ags"],
    )


async def insert_user(
    conn: Connection,
    *,
    login: str,
    display_name: str,
    password_hash: str,
    role: Role,
    provider_id: str | None,
    municipality_ags: str | None,
    now: datetime,
) -> int:
    cursor = await conn.execute(
        "INSERT INTO users (login, display_name, password_hash, role, provider_id,"
        " municipality_ags, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            login,
            display_name,
            password_hash,
            role.value,
            provider_id,
            municipality_ags,
            now.isoformat(),
        ),
    )
    assert cursor.lastrowid is not None
    return cursor.lastrowid


async def login_exists(conn: Connection, login: str) -> bool:
    async with conn.execute("SELECT 1 FROM users WHERE login = ?", (login,)) as cur:
        return await cur.fetchone() is not None


async def password_hash_for(
    conn: Connection, login: str
) -> tuple[Principal, str] | None:
    async with conn.execute(
        f"SELECT {_PRINCIPAL_COLUMNS}, users.password_hash FROM users WHERE login = ?",
        (login,),
    ) as cur:
        row = await cur.fetchone()
    return (_principal(row), row["password_hash"]) if row else None


async def insert_token(
    conn: Connection, *, digest: str, user_id: int, name: str, now: datetime
) -> None:
    await conn.execute(
        "INSERT INTO api_tokens (token_hash, user_id, name, created_at) VALUES (?, ?, ?, ?)",
        (digest, user_id, name, now.isoformat()),
    )


async def principal_for_token(conn: Connection, digest: str) -> Principal | None:
    # One round trip to the connection's thread (not three with a cursor): every
    # request with a token pays it.
    rows = list(
        await conn.execute_fetchall(
            f"SELECT {_PRINCIPAL_COLUMNS} FROM api_tokens"
            " JOIN users ON users.id = user_id"
            " WHERE token_hash = ? AND revoked_at IS NULL",
            (digest,),
        )
    )
    return _principal(rows[0]) if rows else None


async def revoke_token(conn: Connection, digest: str, now: datetime) -> bool:
    cursor = await conn.execute(
        "UPDATE api_tokens SET revoked_at = ? WHERE token_hash = ? AND revoked_at IS NULL",
        (now.isoformat(), digest),
    )
    return cursor.rowcount == 1


async def insert_session(
    conn: Connection, *, digest: str, user_id: int, now: datetime, expires: datetime
) -> None:
    await conn.execute(
        "DELETE FROM web_sessions WHERE expires_at < ?", (now.isoformat(),)
    )
    await conn.execute(
        "INSERT INTO web_sessions (token_hash, user_id, created_at, expires_at)"
        " VALUES (?, ?, ?, ?)",
        (digest, user_id, now.isoformat(), expires.isoformat()),
    )


async def principal_for_session(
    conn: Connection, digest: str, now: datetime
) -> Principal | None:
    async with conn.execute(
        f"SELECT {_PRINCIPAL_COLUMNS} FROM web_sessions JOIN users ON users.id = user_id"
        " WHERE token_hash = ? AND expires_at > ?",
        (digest, now.isoformat()),
    ) as cur:
        row = await cur.fetchone()
    return _principal(row) if row else None


async def delete_session(conn: Connection, digest: str) -> None:
    await conn.execute("DELETE FROM web_sessions WHERE token_hash = ?", (digest,))
