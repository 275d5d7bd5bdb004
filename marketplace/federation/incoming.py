"""The provider's node of a cross-node contract.

``receive`` verifies a request signed by a configured peer, renders the contract
for its own offer version and the buyer's municipality, and accepts it only if
the text has the SHA-256 the buyer signed: request, offer (the published
version), and the municipality's signature via its node, in one transaction.
The provider then countersigns as usual (or its automation does). The contract
is activated here only when the buyer's node confirms (``confirm``); a trigger
of migration 0011 refuses any earlier activation. Every answer is a signed
status derived from the stored row and the contract, so asking again with the
same request id is harmless.
"""

from __future__ import annotations

import msgspec

from marketplace.catalog import repository as catalog_rows
from marketplace.catalog import rules
from marketplace.catalog.schemas import MunicipalityIn
from marketplace.contracts import repository as contract_repository
from marketplace.contracts import service as contracts
from marketplace.contracts.schemas import Action, Contract, State
from marketplace.db import Connection, Database
from marketplace.errors import MarketplaceError, NotAuthenticated, NotFound
from marketplace.federation import contract_rows, repository
from marketplace.federation.feed import node_name, now_iso
from marketplace.federation.keys import BadSignature, NodeKey, open_signed
from marketplace.federation.messages import (
    ContractConfirmMsg,
    ContractRequestMsg,
    ContractStatusMsg,
    NodeMessage,
    RemoteContract,
)


class _Refused(Exception):
    """The request cannot become a contract here; the answer says why."""


async def _open(db: Database, envelope: NodeMessage, kind: type[object]) -> object:
    async with db.read() as conn:
        peer = await repository.peer(conn, envelope.node)
        me = await node_name(conn)
    if peer is None:
        raise NotAuthenticated(f"Knoten „{envelope.node}“ ist kein Partner.")
    try:
        message = open_signed(envelope.signed, peer.public_key, kind)
    except (BadSignature, msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise NotAuthenticated("Die Nachricht ist nicht gültig signiert.") from exc
    if getattr(message, "from_node", None) != envelope.node or (
        getattr(message, "to_node", None) != me
    ):
        raise NotAuthenticated("Absender oder Empfänger der Nachricht stimmen nicht.")
    return message


async def receive(db: Database, key: NodeKey, envelope: NodeMessage) -> NodeMessage:
    message = await _open(db, envelope, ContractRequestMsg)
    assert isinstance(message, ContractRequestMsg)
    async with db.read() as conn:
        existing = await contract_rows.get(conn, message.request_id)
    if existing is None:
        try:
            async with db.transaction() as conn:
                if await contract_rows.get(conn, message.request_id) is None:
                    await _accept(conn, message, envelope.signed.body)
        except (_Refused, MarketplaceError) as exc:
            reason = getattr(exc, "detail", None) or str(exc)
            async with db.transaction() as conn:
                if await contract_rows.get(conn, message.request_id) is None:
                    await _reject(conn, message, envelope.signed.body, reason)
    return await status(db, key, message.request_id, envelope.node)


async def _accept(conn: Connection, message: ContractRequestMsg, body: bytes) -> None:
    if not await contract_rows.own_version(
        conn, message.offer_id, message.version_id, message.version
    ):
        raise _Refused("Diese Angebotsversion gibt es hier nicht.")
    await _ensure_municipality(conn, message)
    who = f"{message.municipality.name} über Knoten {message.from_node}"
    contract_id = await contracts.draft_in(
        conn,
        contracts.system_actor(who, "remote_node"),
        message.version_id,
        message.municipality.ags,
        message.expected_cases,
    )
    found = await _offered(conn, contract_id, message.from_node)
    if found.text_sha256 != message.text_sha256:
        raise _Refused(
            "Der Vertragstext weicht ab: hier gerendert ergibt er einen anderen "
            f"SHA-256 ({found.text_sha256})."
        )
    signer = f"{message.signer} ({message.municipality.name}) über Knoten "
    signer += message.from_node
    actor = contracts.system_actor(signer, "remote_node")
    found = await contracts.apply_in(conn, contract_id, Action.SIGN, actor)
    await contract_rows.insert(
        conn,
        request_id=message.request_id,
        side="provider",
        peer=message.from_node,
        contract_id=contract_id,
        state="received",
        text_sha256=message.text_sha256,
        request=body,
        reason=None,
        now=now_iso(),
    )
    _, auto_countersign = await contracts.automation_in(conn, found.provider_id)
    if auto_countersign:
        robot = contracts.automation_actor(found.provider_id)
        await contracts.apply_in(conn, contract_id, Action.COUNTERSIGN, robot)


async def _offered(conn: Connection, contract_id: int, node: str) -> Contract:
    """Offered by the published version itself, unless the automation did."""
    if await _state(conn, contract_id) is State.DRAFT:
        actor = contracts.system_actor(f"Veröffentlichtes Angebot (Anfrage von {node})")
        return await contracts.apply_in(conn, contract_id, Action.OFFER, actor)
    found = await contract_repository.get_contract(conn, contract_id)
    if found is None:
        raise NotFound("Der Vertrag fehlt.")
    return found


async def _state(conn: Connection, contract_id: int) -> State | None:
    async with conn.execute(
        "SELECT state FROM contracts WHERE id = ?", (contract_id,)
    ) as cur:
        row = await cur.fetchone()
    return State(row[0]) if row else None


async def _ensure_municipality(conn: Connection, message: ContractRequestMsg) -> None:
    """Municipalities are shared reference data (AGS); an unknown one is added
    with the data the buyer's node sent, under the same rules as any other."""
    if await catalog_rows.get_municipality(conn, message.municipality.ags):
        return
    data = msgspec.convert(msgspec.structs.asdict(message.municipality), MunicipalityIn)
    rules.validate_municipality(data)
    await catalog_rows.insert_municipality(conn, data)


async def _reject(
    conn: Connection, message: ContractRequestMsg, body: bytes, reason: str
) -> None:
    await contract_rows.insert(
        conn,
        request_id=message.request_id,
        side="provider",
        peer=message.from_node,
        contract_id=None,
        state="rejected",
        text_sha256=message.text_sha256,
        request=body,
        reason=reason,
        now=now_iso(),
    )


async def confirm(
    db: Database, key: NodeKey, request_id: str, envelope: NodeMessage
) -> NodeMessage:
    """The buyer's node activated: activate here too (once)."""
    message = await _open(db, envelope, ContractConfirmMsg)
    assert isinstance(message, ContractConfirmMsg)
    async with db.transaction() as conn:
        row = await _own_row(conn, request_id, envelope.node)
        found = await _contract(conn, row)
        if (
            row.state == "received"
            and found is not None
            and found.state is State.COUNTERSIGNED
            and message.text_sha256 == found.text_sha256
        ):
            await contract_rows.move(conn, request_id, "confirmed", None, now_iso())
            robot = contracts.system_actor(
                f"Föderation: Knoten {envelope.node} hat aktiviert", "federation"
            )
            await contracts.apply_in(conn, found.id, Action.ACTIVATE, robot)
    return await status(db, key, request_id, envelope.node)


async def _own_row(conn: Connection, request_id: str, peer: str) -> RemoteContract:
    row = await contract_rows.get(conn, request_id)
    if row is None or row.side != "provider" or row.peer != peer:
        raise NotFound(f"Die Anfrage {request_id} gibt es nicht.")
    return row


async def _contract(conn: Connection, row: RemoteContract) -> Contract | None:
    if row.contract_id is None:
        return None
    return await contract_repository.get_contract(conn, row.contract_id)


async def status(db: Database, key: NodeKey, request_id: str, peer: str) -> NodeMessage:
    """The signed answer: the row's state, refined by the contract's."""
    async with db.read() as conn:
        row = await _own_row(conn, request_id, peer)
        found = await _contract(conn, row)
        me = await node_name(conn)
    state, reason = row.state, row.reason
    countersigned = None
    if found is not None:
        countersigned = next(
            (s for s in found.signatures if s.party == "provider"), None
        )
        if found.state is State.CANCELLED:
            state, reason = "rejected", "Der Anbieter hat den Vertrag abgelehnt."
        elif row.state == "received" and countersigned is not None:
            state = "countersigned"
    answer = ContractStatusMsg(
        request_id=request_id,
        node=me,
        state=state,  # type: ignore[arg-type]
        text_sha256=row.text_sha256,
        at=now_iso(),
        contract_id=row.contract_id,
        countersigned_by=countersigned.signer if countersigned else None,
        countersigned_at=countersigned.signed_at if countersigned else None,
        reason=reason,
    )
    return NodeMessage(node=me, signed=key.sign(answer))
