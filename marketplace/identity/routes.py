"""API: exchange credentials for a token, revoke it, and ask who you are."""

from __future__ import annotations

from litestar import Request, Router, delete, get, post
from litestar.datastructures import State
from litestar.params import JSONBody

from marketplace.dependencies import DB, Caller
from marketplace.identity import service
from marketplace.identity.schemas import IssuedToken, Me, TokenRequest


@post("/auth/tokens", summary="Anmeldedaten gegen ein API-Token tauschen")
async def create_token(db: DB, data: JSONBody[TokenRequest]) -> IssuedToken:
    principal = await service.authenticate(db, data.login, data.password)
    return await service.issue_token(db, principal, data.name)


@delete("/auth/tokens/current", summary="Das verwendete API-Token widerrufen")
async def revoke_current_token(
    db: DB, principal: Caller, request: Request[object, object, State]
) -> None:
    service.require_login(principal)
    token = request.headers.get("authorization", "").partition(" ")[2].strip()
    await service.revoke_token(db, token)


@get("/me", summary="Angemeldete Rolle und Zuständigkeit")
async def me(principal: Caller) -> Me:
    p = service.require_login(principal)
    return Me(
        login=p.login,
        display_name=p.display_name,
        role=p.role,
        provider_id=p.provider_id,
        municipality_ags=p.municipality_ags,
    )


router = Router(
    path="/api/v1",
    route_handlers=[create_token, revoke_current_token, me],
    tags=["identity"],
)
