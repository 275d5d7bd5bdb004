"""App-wide dependencies: the database, the document store and the calling principal."""

from __future__ import annotations

from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency

from marketplace.db import Database
from marketplace.errors import NotAuthenticated
from marketplace.identity import service as identity
from marketplace.identity.schemas import Principal
from marketplace.objectstore import ObjectStore

SESSION_COOKIE = "mp_session"

# Handler parameter types: ``db: DB``, ``document_store: DocumentStore`` and
# ``principal: Caller``. (Not ``documents``: Litestar reports a body field of the
# same name as a dependency's failure, 500 instead of 400.)
DB = NamedDependency[Database]
DocumentStore = NamedDependency[ObjectStore]
Caller = NamedDependency[Principal | None]


def provide_db(state: State) -> Database:
    database: Database = state.db
    return database


def provide_document_store(state: State) -> ObjectStore:
    store: ObjectStore = state.document_store
    return store


async def provide_principal(
    request: Request[object, object, State], db: DB
) -> Principal | None:
    """Resolve ``Authorization: Bearer`` or the web session cookie.

    No credentials means anonymous (``None``); services decide whether that is
    enough. Credentials that are present but unknown are refused outright, so a
    machine with a revoked token never silently acts as anonymous.
    """
    header = request.headers.get("authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("Erwartet wird „Authorization: Bearer <Token>“.")
        principal = await identity.principal_for_token(db, token.strip())
        if principal is None:
            raise NotAuthenticated("Das Token ist unbekannt oder widerrufen.")
        return principal
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return await identity.principal_for_session(db, cookie)
    return None
