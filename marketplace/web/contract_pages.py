"""The subscribe-and-sign flow: request a contract, sign it, subscribe."""

from __future__ import annotations

import secrets
from typing import Annotated

import msgspec
from litestar import get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Template

from marketplace.contracts import service as contracts
from marketplace.contracts.schemas import (
    ACTION_LABELS,
    STATE_LABELS,
    Action,
    ContractRequest,
)
from marketplace.dependencies import DB, Caller
from marketplace.errors import InvalidInput
from marketplace.subscriptions import service as subscriptions
from marketplace.subscriptions.schemas import Environment, SubscriptionIn
from marketplace.web.pages import page, see_other


class RequestForm(msgspec.Struct, kw_only=True):
    faelle: str = ""


class ActionForm(msgspec.Struct, kw_only=True):
    text_sha256: str = ""


class SubscribeForm(msgspec.Struct, kw_only=True):
    environment: str = "test"
    endpoint_url: str = ""
    fachverfahren: str = ""


@post("/angebote/{version_id:int}/vertrag", status_code=303)
async def request_contract(
    db: DB,
    principal: Caller,
    version_id: FromPath[int],
    data: Annotated[RequestForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Redirect:
    cases = _optional_int(data.faelle, "Erwartete Fälle")
    request = ContractRequest(offer_version_id=version_id, expected_cases=cases)
    found = await contracts.request_contract(db, principal, request)
    return see_other(f"/vertraege/{found.id}")


@get("/vertraege/{contract_id:int}", name="contract")
async def contract_page(
    db: DB, principal: Caller, contract_id: FromPath[int]
) -> Template:
    found = await contracts.contract(db, principal, contract_id)
    return page(
        "contract.html",
        principal,
        contract=found,
        events=await contracts.events(db, principal, contract_id),
        verification=await contracts.verify(db, principal, contract_id),
        actions=contracts.allowed_actions(found, principal),
        action_labels=ACTION_LABELS,
        state_labels=STATE_LABELS,
        subscriptions=[
            s
            for s in await subscriptions.subscriptions(db, principal)
            if s.contract_id == contract_id
        ],
    )


@post("/vertraege/{contract_id:int}/{action:str}", status_code=303)
async def contract_action(
    db: DB,
    principal: Caller,
    contract_id: FromPath[int],
    action: FromPath[str],
    data: Annotated[ActionForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Redirect:
    if action == "abonnieren":
        raise InvalidInput("Bitte nutzen Sie das Abonnement-Formular.")
    try:
        chosen = Action(action)
    except ValueError:
        raise InvalidInput(f"Unbekannte Vertragsaktion „{action}“.") from None
    await contracts.transition(
        db, principal, contract_id, chosen, data.text_sha256 or None
    )
    return see_other(f"/vertraege/{contract_id}")


@post("/vertraege/{contract_id:int}/abonnement", status_code=303)
async def subscribe(
    db: DB,
    principal: Caller,
    contract_id: FromPath[int],
    data: Annotated[SubscribeForm, Body(media_type=RequestEncodingType.URL_ENCODED)],
) -> Redirect:
    try:
        request = msgspec.convert(
            {
                "contract_id": contract_id,
                "environment": data.environment,
                "endpoint_url": data.endpoint_url.strip(),
                "fachverfahren": data.fachverfahren.strip(),
            },
            SubscriptionIn,
        )
    except msgspec.ValidationError as exc:
        raise InvalidInput(
            "Bitte prüfen Sie die Angaben: Umgebung Test oder Produktion, eine "
            "Empfangsadresse mit https:// und den Namen des Fachverfahrens."
        ) from exc
    subscription_id = f"{Environment(request.environment).value}-{secrets.token_hex(6)}"
    await subscriptions.put_subscription(db, principal, subscription_id, request)
    return see_other(f"/vertraege/{contract_id}")


def _optional_int(text: str, field: str) -> int | None:
    if not text.strip():
        return None
    if not text.strip().isdigit() or int(text) > 100_000_000:
        raise InvalidInput(
            f"{field}: bitte eine ganze Zahl zwischen 0 und 100.000.000."
        )
    return int(text)
