"""Federation pages: the operator's view of peers, refused entries and
cross-node contracts, and a buyer's request for another node's offer."""

from __future__ import annotations

from typing import Annotated

from litestar import get, post
from litestar.datastructures import State
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from marketplace.dependencies import DB, Caller
from marketplace.federation import outgoing, service
from marketplace.federation.messages import RemoteContractIn
from marketplace.identity.schemas import Role
from marketplace.identity.service import require_role
from marketplace.web.contract_pages import RequestForm, _optional_int
from marketplace.web.pages import page, see_other

INCIDENT_LABELS = {
    "forged": "Signatur ungültig",
    "malformed": "nicht lesbar",
    "oversized": "zu groß",
    "wrong_node": "falscher Knoten",
    "replay": "Wiederholung",
    "rewound": "Feed zurückgesetzt",
    "out_of_order": "falsche Reihenfolge",
    "truncated": "Feed unvollständig",
    "refused": "nicht übernommen",
}
REMOTE_STATE_LABELS = {
    "to_forward": "wartet auf Weiterleitung",
    "forwarded": "beim Anbieterknoten, wartet auf Gegenzeichnung",
    "active": "aktiv, Bestätigung an den Anbieterknoten ausstehend",
    "received": "erhalten, wartet auf Gegenzeichnung",
    "countersigned": "gegengezeichnet, wartet auf Bestätigung des Kommunenknotens",
    "confirmed": "auf beiden Knoten aktiv",
    "rejected": "abgelehnt",
}


@get("/betrieb/foederation", name="federation")
async def federation_page(db: DB, principal: Caller, state: State) -> Template:
    require_role(principal, Role.OPERATOR)  # before anything about the node shows
    stale_after = state.settings.federation_stale_after
    return page(
        "federation.html",
        principal,
        node=await service.node_info(db, state.federation.key),
        peers=await service.peers(db, principal, stale_after=stale_after),
        incidents=await service.incidents(db, principal),
        contracts=await service.remote_contracts(db, principal),
        incident_labels=INCIDENT_LABELS,
        remote_labels=REMOTE_STATE_LABELS,
    )


@post("/angebote/{version_id:int}/vertrag-foederation", status_code=303)
async def request_remote_contract(
    db: DB,
    principal: Caller,
    version_id: FromPath[int],
    data: Annotated[RequestForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Redirect:
    """The contract is drafted here; signing it on the contract page sends it to
    the provider's node (within one puller round)."""
    cases = _optional_int(data.faelle, "Erwartete Fälle")
    request = RemoteContractIn(offer_version_id=version_id, expected_cases=cases)
    found = await outgoing.request(db, principal, request)
    return see_other(f"/vertraege/{found.id}")
