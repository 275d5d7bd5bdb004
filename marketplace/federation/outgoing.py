"""The buyer's node of a cross-node contract.

1. ``request``: the buyer asks for a contract for a replicated offer version; the
   contract is drafted here from the replicated template and offered by the
   published version itself (actor: the federation).
2. ``sign_and_forward``: the buyer signs the text (its SHA-256) as usual; the
   request, signed with this node's key, is stored (``to_forward``) and sent.
3. The provider's node answers with a signed status. ``countersigned`` with the
   same text hash countersigns and activates the contract here, which is then
   confirmed to the provider's node (``active`` -> ``confirmed``); ``rejected``
   cancels it here.

Every step is retried by ``reconcile`` (each puller round, or on demand) with
the same request id, which the provider's node answers idempotently.
"""

from __future__ import annotations

import logging
import uuid

import httpx
import msgspec

from marketplace.contracts import repository as contract_repository
from marketplace.contracts import service as contracts
from marketplace.contracts.schemas import Action, Contract, State
from marketplace.db import Connection, Database
from marketplace.errors import Conflict, NotFound
from marketplace.federation import contract_rows, repository
from marketplace.federation.feed import node_name, now_iso
from marketplace.federation.keys import BadSignature, NodeKey, open_signed
from marketplace.federation.messages import (
    ContractConfirmMsg,
    ContractRequestMsg,
    ContractStatusMsg,
    MunicipalityData,
    NodeMessage,
    RemoteContract,
    RemoteContractIn,
)
from marketplace.federation.schemas import Peer, Signed
from marketplace.identity.schemas import Principal, Role
from marketplace.identity.service import require_role

log = logging.getLogger(__name__)


async def request(
    db: Database, principal: Principal | None, data: RemoteContractIn
) -> Contract:
    """Draft the contract here, offered by the replicated publication; nothing
    leaves the node yet. (The ordinary ``POST /api/v1/contracts`` does the same
    for a replicated version; this route refuses any other version.)"""
    caller = require_role(principal, Role.MUNICIPALITY_BUYER)
    async with db.transaction() as conn:
        found = await contract_rows.replicated_version(conn, data.offer_version_id)
        if found is None:
            raise NotFound(
                f"Die Angebotsversion {data.offer_version_id} ist kein Angebot eines "
                "anderen Knotens; fordern Sie den Vertrag direkt an."
            )
        contract_id = await contracts.draft_in(
            conn,
            contracts.actor_for(caller),
            data.offer_version_id,
            caller.municipality_ags or "",
            data.expected_cases,
        )
        drafted = await contract_repository.get_contract(conn, contract_id)
    assert drafted is not None  # offered by its publication (contracts.draft_in)
    return drafted


async def sign_and_forward(
    db: Database,
    principal: Principal | None,
    client: httpx.AsyncClient,
    key: NodeKey,
    contract_id: int,
    text_sha256: str,
) -> RemoteContract:
    """The buyer signs here; the signed request goes to the provider's node."""
    signed = await contracts.contract(db, principal, contract_id)
    if signed.state is State.OFFERED:
        signed = await contracts.transition(
            db, principal, contract_id, Action.SIGN, text_sha256
        )
    if signed.state is not State.SIGNED or signed.text_sha256 != text_sha256:
        async with db.read() as conn:
            existing = await contract_rows.for_contract(conn, contract_id)
        if existing is not None:
            return existing
        raise Conflict("Der Vertrag ist nicht (mehr) von Ihrer Kommune unterzeichnet.")
    row = await _record_request(db, key, signed)
    return await advance(db, client, key, row)


async def advance(
    db: Database, client: httpx.AsyncClient, key: NodeKey, row: RemoteContract
) -> RemoteContract:
    """Forward or ask again; once countersigned and active here, confirm at once."""
    moved = await forward(db, client, key, row)
    if moved.state == "active" and row.state != "active":
        moved = await forward(db, client, key, moved)
    return moved


async def _record_request(
    db: Database, key: NodeKey, signed: Contract
) -> RemoteContract:
    async with db.transaction() as conn:
        existing = await contract_rows.for_contract(conn, signed.id)
        if existing is not None:
            return existing
        message = await _request_message(conn, signed)
        body = msgspec.json.encode(key.sign(message))
        await contract_rows.insert(
            conn,
            request_id=message.request_id,
            side="buyer",
            peer=message.to_node,
            contract_id=signed.id,
            state="to_forward",
            text_sha256=signed.text_sha256,
            request=body,
            reason=None,
            now=now_iso(),
        )
        found = await contract_rows.get(conn, message.request_id)
    assert found is not None
    return found


async def _request_message(conn: Connection, signed: Contract) -> ContractRequestMsg:
    version = await contract_rows.replicated_version(conn, signed.offer_version_id)
    place = await contract_rows.municipality(conn, signed.municipality_ags)
    if version is None or place is None:
        raise NotFound("Angebot oder Kommune dieses Vertrags fehlen im Katalog.")
    signature = next(s for s in signed.signatures if s.party == "municipality")
    return ContractRequestMsg(
        request_id=uuid.uuid4().hex,
        from_node=await node_name(conn),
        to_node=version["home_node"],
        at=now_iso(),
        offer_id=version["home_offer_id"],
        version_id=version["home_version_id"],
        version=version["version"],
        municipality=MunicipalityData(
            ags=place["ags"],
            name=place["name"],
            kind=place["kind"],
            population=place["population"],
            population_as_of=place["population_as_of"],
        ),
        expected_cases=signed.quote.expected_cases,
        text_sha256=signed.text_sha256,
        signer=signature.signer,
        signed_at=signature.signed_at,
    )


async def forward(
    db: Database, client: httpx.AsyncClient, key: NodeKey, row: RemoteContract
) -> RemoteContract:
    """Send (again) the stored request, or the confirmation once active here."""
    try:
        peer, me = await _peer_and_me(db, row.peer)
        if row.state == "active":
            message: object = ContractConfirmMsg(
                request_id=row.request_id,
                from_node=me,
                to_node=row.peer,
                at=now_iso(),
                text_sha256=row.text_sha256,
            )
            path = f"/api/v1/federation/subscriptions/{row.request_id}/confirm"
            signed = key.sign(message)
        else:
            async with db.read() as conn:
                body = await contract_rows.request_body(conn, row.request_id)
            signed = msgspec.json.decode(body, type=Signed)
            path = "/api/v1/federation/subscriptions"
        status = await _post(client, peer, path, NodeMessage(node=me, signed=signed))
        await _absorb(db, row, peer, status)
    except _Unreachable as exc:
        async with db.transaction() as conn:
            await contract_rows.attempt_failed(
                conn, row.request_id, str(exc), now_iso()
            )
        log.warning("federation: contract %s: %s", row.request_id, exc)
    async with db.read() as conn:
        found = await contract_rows.get(conn, row.request_id)
    assert found is not None
    return found


class _Unreachable(Exception):
    """The provider's node did not give a verifiable answer; try again later."""


async def _peer_and_me(db: Database, name: str) -> tuple[Peer, str]:
    async with db.read() as conn:
        peer = await repository.peer(conn, name)
        me = await node_name(conn)
    if peer is None:
        raise _Unreachable(f"Knoten „{name}“ ist kein eingetragener Partner.")
    return peer, me


async def _post(
    client: httpx.AsyncClient, peer: Peer, path: str, message: NodeMessage
) -> ContractStatusMsg:
    try:
        answer = await client.post(
            f"{peer.base_url}{path}",
            content=msgspec.json.encode(message),
            headers={"Content-Type": "application/json"},
        )
    except httpx.HTTPError as exc:
        raise _Unreachable(f"Knoten {peer.name} nicht erreichbar: {exc}") from exc
    if answer.status_code not in (200, 201):
        raise _Unreachable(f"Knoten {peer.name} antwortet {answer.status_code}")
    try:
        envelope = msgspec.json.decode(answer.content, type=NodeMessage)
        status = open_signed(envelope.signed, peer.public_key, ContractStatusMsg)
    except (msgspec.DecodeError, msgspec.ValidationError, BadSignature) as exc:
        raise _Unreachable(f"Antwort von {peer.name} nicht prüfbar: {exc}") from exc
    if status.node != peer.name:
        raise _Unreachable(f"Antwort nennt den Knoten „{status.node}“.")
    return status


async def _absorb(
    db: Database, row: RemoteContract, peer: Peer, status: ContractStatusMsg
) -> None:
    """Move this side along what the provider's node reports."""
    if status.request_id != row.request_id:
        raise _Unreachable("Antwort zu einer anderen Anfrage.")
    if status.text_sha256 != row.text_sha256:
        raise _Unreachable("Der Vertragstext beim Anbieter hat einen anderen SHA-256.")
    async with db.transaction() as conn:
        current = await contract_rows.get(conn, row.request_id)
        if current is None or current.contract_id is None:
            return
        await _step(conn, current, peer, status)


async def _step(
    conn: Connection, row: RemoteContract, peer: Peer, status: ContractStatusMsg
) -> None:
    assert row.contract_id is not None
    now = now_iso()
    if status.state == "received" and row.state == "to_forward":
        await contract_rows.move(conn, row.request_id, "forwarded", None, now)
    elif status.state == "countersigned" and row.state in ("to_forward", "forwarded"):
        signer = f"{status.countersigned_by} über Knoten {peer.name}"
        await contracts.apply_in(
            conn,
            row.contract_id,
            Action.COUNTERSIGN,
            contracts.system_actor(signer, "remote_node"),
        )
        robot = contracts.system_actor(
            f"Föderation: Gegenzeichnung von Knoten {peer.name} geprüft", "federation"
        )
        await contracts.apply_in(conn, row.contract_id, Action.ACTIVATE, robot)
        await contract_rows.move(conn, row.request_id, "active", None, now)
    elif status.state == "confirmed" and row.state == "active":
        await contract_rows.move(conn, row.request_id, "confirmed", None, now)
    elif status.state == "rejected" and row.state in ("to_forward", "forwarded"):
        robot = contracts.system_actor(
            f"Föderation: abgelehnt von Knoten {peer.name}", "federation"
        )
        await contracts.apply_in(conn, row.contract_id, Action.CANCEL, robot)
        await contract_rows.move(conn, row.request_id, "rejected", status.reason, now)


async def reconcile(
    db: Database, client: httpx.AsyncClient, key: NodeKey
) -> list[RemoteContract]:
    """Retry every open exchange once: forward, ask again, or confirm."""
    async with db.read() as conn:
        unsent = [
            await contract_repository.get_contract(conn, contract_id)
            for contract_id in await contract_rows.signed_unforwarded(conn)
        ]
    for found in unsent:
        if found is not None:
            await _record_request(db, key, found)
    async with db.read() as conn:
        rows = await contract_rows.open_buyer_rows(conn)
    return [await advance(db, client, key, row) for row in rows]
