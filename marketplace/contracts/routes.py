"""HTTP routes of the contract context."""

from __future__ import annotations

from litestar import Router, get, post, put
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, JSONBody

from marketplace.contracts import service
from marketplace.contracts.schemas import (
    Action,
    Contract,
    ContractEvent,
    ContractRequest,
    ContractSettings,
    SignRequest,
    Verification,
)
from marketplace.dependencies import DB, Caller
from marketplace.params import Id


@post("/contracts", summary="Vertrag für eine Angebotsversion anfordern")
async def request_contract(
    db: DB, principal: Caller, data: JSONBody[ContractRequest]
) -> Contract:
    return await service.request_contract(db, principal, data)


@get("/contracts", summary="Eigene Verträge")
async def list_contracts(db: DB, principal: Caller) -> list[Contract]:
    return await service.contracts(db, principal)


@get("/contracts/{contract_id:int}", summary="Ein Vertrag")
async def get_contract(db: DB, principal: Caller, contract_id: Id) -> Contract:
    return await service.contract(db, principal, contract_id)


@get("/contracts/{contract_id:int}/events", summary="Prüfprotokoll des Vertrags")
async def contract_events(
    db: DB, principal: Caller, contract_id: Id
) -> list[ContractEvent]:
    return await service.events(db, principal, contract_id)


@get(
    "/contracts/{contract_id:int}/verify",
    summary="Vertragstext gegen Signaturen prüfen",
)
async def verify_contract(db: DB, principal: Caller, contract_id: Id) -> Verification:
    return await service.verify(db, principal, contract_id)


@post(
    "/contracts/{contract_id:int}/sign",
    summary="Unterzeichnen (Kommune)",
    status_code=200,
)
async def sign(
    db: DB, principal: Caller, contract_id: Id, data: JSONBody[SignRequest]
) -> Contract:
    return await service.transition(
        db, principal, contract_id, Action.SIGN, data.text_sha256
    )


@post(
    "/contracts/{contract_id:int}/countersign",
    summary="Gegenzeichnen (Anbieter)",
    status_code=200,
)
async def countersign(
    db: DB, principal: Caller, contract_id: Id, data: JSONBody[SignRequest]
) -> Contract:
    return await service.transition(
        db, principal, contract_id, Action.COUNTERSIGN, data.text_sha256
    )


def _simple(action: Action, summary: str) -> HTTPRouteHandler:
    @post(
        f"/contracts/{{contract_id:int}}/{action.value}",
        summary=summary,
        status_code=200,
        name=f"contract-{action.value}",
        operation_id=f"contract_{action.value}",
    )
    async def handler(db: DB, principal: Caller, contract_id: Id) -> Contract:
        return await service.transition(db, principal, contract_id, action)

    return handler


@get(
    "/providers/{provider_id:str}/contract-settings", summary="Vertragsautomatik lesen"
)
async def get_settings(db: DB, provider_id: FromPath[str]) -> ContractSettings:
    return await service.settings(db, provider_id)


@put(
    "/providers/{provider_id:str}/contract-settings", summary="Vertragsautomatik setzen"
)
async def put_settings(
    db: DB,
    principal: Caller,
    provider_id: FromPath[str],
    data: JSONBody[ContractSettings],
) -> ContractSettings:
    return await service.save_settings(db, principal, provider_id, data)


router = Router(
    path="/api/v1",
    route_handlers=[
        request_contract,
        list_contracts,
        get_contract,
        contract_events,
        verify_contract,
        sign,
        countersign,
        _simple(Action.OFFER, "Vertrag anbieten (Anbieter)"),
        _simple(Action.ACTIVATE, "Vertrag aktivieren (Anbieter)"),
        _simple(Action.TERMINATE, "Vertrag kündigen (eine Partei)"),
        _simple(Action.CANCEL, "Vertrag abbrechen (Entwurf oder Angebot)"),
        get_settings,
        put_settings,
    ],
    tags=["contracts"],
)
