"""HTTP routes of the federation: the signed feed and node card (public, for
peers), the catalog digest, the operator's peers and incidents, and the
cross-node contract requests between nodes."""

from __future__ import annotations

from typing import Annotated

from litestar import Router, delete, get, patch, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import JSONBody, PathParameter, QueryParameter

from marketplace.contracts.schemas import Contract
from marketplace.dependencies import DB, Caller
from marketplace.federation import feed, incoming, outgoing, service, usage
from marketplace.federation.messages import (
    NodeMessage,
    RemoteContract,
    RemoteContractIn,
    RemoteSign,
    UsageOverview,
)
from marketplace.federation.runtime import Federation
from marketplace.federation.schemas import (
    CatalogDigest,
    FeedPage,
    Incident,
    NodeInfo,
    Peer,
    PeerIn,
    PeerSwitch,
    Signed,
    SyncResult,
)
from marketplace.identity.schemas import Role
from marketplace.identity.service import require_role
from marketplace.params import Id

Fed = NamedDependency[Federation]
After = Annotated[int, QueryParameter(ge=0, le=2**53)]
Limit = Annotated[int, QueryParameter(ge=1, le=feed.MAX_PAGE)]
PeerName = Annotated[str, PathParameter(pattern=r"^[a-z0-9][a-z0-9-]{1,39}$")]


def provide_federation(state: State) -> Federation:
    found: Federation = state.federation
    return found


@get("/federation/node", summary="Knoten: Name, Adresse, öffentlicher Schlüssel")
async def node(db: DB, federation: Fed) -> NodeInfo:
    return await service.node_info(db, federation.key)


@get("/federation/feed", summary="Signierter Änderungs-Feed der eigenen Angebote")
async def feed_page(
    db: DB, federation: Fed, after: After = 0, limit: Limit = 500
) -> FeedPage:
    return await feed.page(db, federation.key, after=after, limit=limit)


@get("/federation/catalog-digest", summary="Inhalts-Hash des ganzen Katalogs")
async def catalog_digest(db: DB) -> CatalogDigest:
    return await service.digest(db)


@get("/federation/peers", summary="Partnerknoten mit Stand (Betrieb)")
async def list_peers(db: DB, principal: Caller, federation: Fed) -> list[Peer]:
    stale_after = federation.settings.federation_stale_after
    return await service.peers(db, principal, stale_after=stale_after)


@post("/federation/peers", summary="Partnerknoten mit Schlüssel eintragen (Betrieb)")
async def add_peer(db: DB, principal: Caller, data: JSONBody[PeerIn]) -> Peer:
    return await service.add_peer(db, principal, data)


@patch("/federation/peers/{name:str}", summary="Abruf anhalten oder fortsetzen")
async def switch_peer(
    db: DB, principal: Caller, name: PeerName, data: JSONBody[PeerSwitch]
) -> Peer:
    return await service.switch_peer(db, principal, name, data.enabled)


@delete(
    "/federation/peers/{name:str}", summary="Partnerknoten austragen", status_code=204
)
async def remove_peer(db: DB, principal: Caller, name: PeerName) -> None:
    await service.remove_peer(db, principal, name)


@post(
    "/federation/sync",
    summary="Jetzt abrufen (alle oder einen Partner)",
    status_code=200,
)
async def sync(
    db: DB,
    principal: Caller,
    federation: Fed,
    peer: Annotated[str | None, QueryParameter(pattern=r"^[a-z0-9-]{2,40}$")] = None,
    full: Annotated[bool, QueryParameter()] = False,
) -> list[SyncResult]:
    return await service.sync(db, principal, federation.client, name=peer, full=full)


@get("/federation/incidents", summary="Abgewiesene Einträge (Betrieb)")
async def list_incidents(
    db: DB,
    principal: Caller,
    peer: Annotated[str | None, QueryParameter(pattern=r"^[a-z0-9-]{2,40}$")] = None,
) -> list[Incident]:
    return await service.incidents(db, principal, peer)


RequestId = Annotated[str, PathParameter(pattern=r"^[A-Za-z0-9-]{8,64}$")]


@post(
    "/federation/subscriptions",
    summary="Vertragsanfrage eines Partnerknotens",
    status_code=200,
)
async def receive_contract(
    db: DB, federation: Fed, data: JSONBody[NodeMessage]
) -> NodeMessage:
    return await incoming.receive(db, federation.key, data)


@post(
    "/federation/subscriptions/{request_id:str}/confirm",
    summary="Aktivierung beim Partnerknoten bestätigen",
    status_code=200,
)
async def confirm_contract(
    db: DB, federation: Fed, request_id: RequestId, data: JSONBody[NodeMessage]
) -> NodeMessage:
    return await incoming.confirm(db, federation.key, request_id, data)


@post(
    "/federation/remote-contracts",
    summary="Vertrag für ein Angebot eines anderen Knotens",
)
async def request_remote(
    db: DB, principal: Caller, data: JSONBody[RemoteContractIn]
) -> Contract:
    return await outgoing.request(db, principal, data)


@post(
    "/federation/remote-contracts/{contract_id:int}/sign",
    summary="Unterzeichnen und an den Knoten des Anbieters senden",
    status_code=200,
)
async def sign_remote(
    db: DB,
    principal: Caller,
    federation: Fed,
    contract_id: Id,
    data: JSONBody[RemoteSign],
) -> RemoteContract:
    return await outgoing.sign_and_forward(
        db, principal, federation.client, federation.key, contract_id, data.text_sha256
    )


@get("/federation/remote-contracts", summary="Knotenübergreifende Verträge")
async def list_remote(db: DB, principal: Caller) -> list[RemoteContract]:
    return await service.remote_contracts(db, principal)


@post(
    "/federation/remote-contracts/reconcile",
    summary="Offene knotenübergreifende Verträge jetzt abgleichen (Betrieb)",
    status_code=200,
)
async def reconcile(db: DB, principal: Caller, federation: Fed) -> list[RemoteContract]:
    require_role(principal, Role.OPERATOR)
    return await outgoing.reconcile(db, federation.client, federation.key)


@get("/federation/usage", summary="Signierte Nutzungszahlen dieses Knotens (anonym)")
async def usage_report(db: DB, federation: Fed) -> Signed:
    return await usage.signed_report(db, federation.key)


@get(
    "/federation/usage/overview",
    summary="Nutzung je Leistung und Land über alle Knoten (Anzahl Kommunen)",
)
async def usage_overview(db: DB, federation: Fed) -> list[UsageOverview]:
    return await usage.overview(db, federation.usage_reports)


router = Router(
    path="/api/v1",
    route_handlers=[
        node,
        feed_page,
        catalog_digest,
        list_peers,
        add_peer,
        switch_peer,
        remove_peer,
        sync,
        list_incidents,
        receive_contract,
        confirm_contract,
        request_remote,
        sign_remote,
        list_remote,
        reconcile,
        usage_report,
        usage_overview,
    ],
    dependencies={"federation": Provide(provide_federation, sync_to_thread=False)},
    tags=["federation"],
)
