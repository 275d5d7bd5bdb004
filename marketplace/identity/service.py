"""Identity rules: creating users, logging in, issuing and checking credentials,
and the access checks every other service uses."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from marketplace.db import Database
from marketplace.errors import (
    Conflict,
    InvalidInput,
    NotAuthenticated,
    PermissionDenied,
)
from marketplace.identity import repository
from marketplace.identity.schemas import IssuedToken, Principal, Role
from marketplace.identity.secrets import (
    hash_password,
    new_token,
    token_digest,
    verify_password,
)

API_TOKEN_PREFIX = "mpt"  # noqa: S105 - a visible prefix, not a secret
SESSION_PREFIX = "mps"
# Verifying against a real hash when the login is unknown keeps timing uniform.
_DUMMY_HASH = hash_password("timing-equaliser")


async def create_user(
    db: Database,
    *,
    login: str,
    display_name: str,
    password: str,
    role: Role,
    provider_id: str | None = None,
    municipality_ags: str | None = None,
) -> int:
    if role is Role.PROVIDER_ADMIN and not provider_id:
        raise InvalidInput("Ein Anbieter-Konto braucht die Kennung des Anbieters.")
    if role is Role.MUNICIPALITY_BUYER and not municipality_ags:
        raise InvalidInput("Ein kommunales Konto braucht den Gemeindeschlüssel (AGS).")
    if len(password) < 8:
        raise InvalidInput("Das Passwort muss mindestens 8 Zeichen lang sein.")
    password_hash = await asyncio.to_thread(hash_password, password)
    async with db.transaction() as conn:
        if await repository.login_exists(conn, login):
            raise Conflict(f"Der Benutzername „{login}“ ist bereits vergeben.")
        return await repository.insert_user(
            conn,
            login=login,
            display_name=display_name,
            password_hash=password_hash,
            role=role,
            provider_id=provider_id if role is Role.PROVIDER_ADMIN else None,
            municipality_ags=municipality_ags
            if role is Role.MUNICIPALITY_BUYER
            else None,
            now=datetime.now(UTC),
        )


async def authenticate(db: Database, login: str, password: str) -> Principal:
    """Check a login and password; the same error for unknown user and wrong password."""
    async with db.read() as conn:
        found = await repository.password_hash_for(conn, login)
    stored = found[1] if found else _DUMMY_HASH
    valid = await asyncio.to_thread(verify_password, password, stored)
    if found is None or not valid:
        raise NotAuthenticated("Benutzername oder Passwort ist falsch.")
    return found[0]


async def issue_token(db: Database, principal: Principal, name: str) -> IssuedToken:
    token = new_token(API_TOKEN_PREFIX)
    async with db.transaction() as conn:
        await repository.insert_token(
            conn,
            digest=token_digest(token),
            user_id=principal.user_id,
            name=name,
            now=datetime.now(UTC),
        )
    return IssuedToken(token=token, name=name, role=principal.role)


async def principal_for_token(db: Database, token: str) -> Principal | None:
    async with db.read() as conn:
        return await repository.principal_for_token(conn, token_digest(token))


async def revoke_token(db: Database, token: str) -> None:
    async with db.transaction() as conn:
        if not await repository.revoke_token(
            conn, token_digest(token), datetime.now(UTC)
        ):
            raise NotAuthenticated("Das Token ist unbekannt oder bereits widerrufen.")


async def open_session(db: Database, principal: Principal, hours: int) -> str:
    token = new_token(SESSION_PREFIX)
    now = datetime.now(UTC)
    async with db.transaction() as conn:
        await repository.insert_session(
            conn,
            digest=token_digest(token),
            user_id=principal.user_id,
            now=now,
            expires=now + timedelta(hours=hours),
        )
    return token


async def principal_for_session(db: Database, token: str) -> Principal | None:
    async with db.read() as conn:
        return await repository.principal_for_session(
            conn, token_digest(token), datetime.now(UTC)
        )


async def close_session(db: Database, token: str) -> None:
    async with db.transaction() as conn:
        await repository.delete_session(conn, token_digest(token))


def require_login(principal: Principal | None) -> Principal:
    """Any authenticated principal."""
    return require_role(principal, *Role)


def require_role(principal: Principal | None, *roles: Role) -> Principal:
    """The principal if it holds one of ``roles``; otherwise a clear refusal."""
    if principal is None:
        raise NotAuthenticated("Bitte melden Sie sich an.")
    if principal.role not in roles:
        raise PermissionDenied(
            f"Ihre Rolle „{principal.role_label}“ darf diese Aktion nicht ausführen."
        )
    return principal


def require_provider(principal: Principal | None, provider_id: str) -> Principal:
    """Only the provider's own admins (and the operator) act for a provider."""
    principal = require_role(principal, Role.PROVIDER_ADMIN, Role.OPERATOR)
    if principal.role is Role.PROVIDER_ADMIN and principal.provider_id != provider_id:
        raise PermissionDenied(
            "Sie können nur die Angebote Ihres eigenen Anbieters verwalten."
        )
    return principal


def require_municipality(principal: Principal | None, ags: str) -> Principal:
    """Only the municipality's own buyers (and the operator) act for a municipality."""
    principal = require_role(principal, Role.MUNICIPALITY_BUYER, Role.OPERATOR)
    if principal.role is Role.MUNICIPALITY_BUYER and principal.municipality_ags != ags:
        raise PermissionDenied("Sie können nur für Ihre eigene Kommune handeln.")
    return principal
