"""Reference FIT-Connect receiver: the Submission API of one destination on loopback.

Sender side: ``POST /token``, ``GET /v1/destinations/{id}`` and its keys,
``POST /v1/submissions`` (deduplicated by ``Idempotency-Key``), ``PUT`` of
encrypted attachments and of the submission, ``GET /v1/cases/{id}/events``.
Subscriber side: ``GET /v1/submissions`` (available ones), ``GET`` of a
submission and its attachments, ``POST /v1/cases/{id}/events`` for a signed
confirmation. Unless ``--external-subscriber`` is given, the built-in subscriber
(``fitconnect_subscriber``) confirms each submission itself. Keys (RSA 4096) are
kept in ``<data>/keys.json`` so a restart keeps the destination's identity.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from pathlib import Path
from typing import Annotated, Any

import msgspec
from jwcrypto import jwk
from litestar import Litestar, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.params import Body, FromPath

from connectors.fitconnect import api, crypto
from connectors.receivers import common
from connectors.receivers import fitconnect_subscriber as subscriber
from connectors.receivers.fitconnect_store import StoredSubmission, SubmissionStore
from connectors.receivers.inbox import Inbox
from connectors.signing import IDEMPOTENCY_HEADER

log = logging.getLogger(__name__)
JSON = "application/json"


class Keys(msgspec.Struct, kw_only=True):
    destination_id: str
    token_secret: str
    encryption: dict[str, Any]
    signing: dict[str, Any]
    decoy: dict[str, Any]


def load_keys(path: Path, destination_id: str) -> Keys:
    """Read ``keys.json`` or create it with fresh RSA-4096 keys."""
    if path.exists():
        return msgspec.json.decode(path.read_bytes(), type=Keys)
    keys = Keys(
        destination_id=destination_id,
        token_secret=hashlib.sha256(
            crypto.generate_key().thumbprint().encode()
        ).hexdigest(),
        encryption=json.loads(crypto.generate_key().export_private()),
        signing=json.loads(crypto.generate_key().export_private()),
        decoy=json.loads(crypto.generate_key().export_private()),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(msgspec.json.encode(keys))
    path.chmod(0o600)
    return keys


_JWKS: dict[str, jwk.JWK] = {}


def _jwk(document: dict[str, Any]) -> jwk.JWK:
    """The key object for a stored key, built once (RSA key checks are slow)."""
    kid = str(document["kid"])
    if kid not in _JWKS:
        _JWKS[kid] = jwk.JWK(**document)
    return _JWKS[kid]


def _token_for(state: State, client_id: str) -> str:
    keys: Keys = state.destination_keys
    return hmac.new(
        keys.token_secret.encode(), client_id.encode(), hashlib.sha256
    ).hexdigest()


def _authorized(request: Request[object, object, State], state: State) -> bool:
    header = request.headers.get("authorization", "")
    return hmac.compare_digest(header, f"Bearer {_token_for(state, state.client_id)}")


def _json(value: object, status: int = 200) -> Response[bytes]:
    return Response(msgspec.json.encode(value), status_code=status, media_type=JSON)


def _problem(status: int, kind: str, detail: str) -> Response[bytes]:
    body = {
        "type": api.PROBLEM_PREFIX + kind,
        "title": kind,
        "detail": detail,
        "status": status,
    }
    return Response(
        msgspec.json.encode(body),
        status_code=status,
        media_type="application/problem+json",
    )


@post("/token")
async def token(
    request: Request[object, object, State], state: State
) -> Response[bytes]:
    form = await request.form()
    if (
        form.get("client_id") != state.client_id
        or form.get("client_secret") != state.client_secret
    ):
        return _problem(401, "invalid-client", "Client-ID oder Secret falsch.")
    return _json(
        {
            "access_token": _token_for(state, state.client_id),
            "token_type": "Bearer",
            "expires_in": 1800,
        }
    )


@get("/v1/destinations/{destination_id:str}", sync_to_thread=False)
def destination(
    request: Request[object, object, State], state: State, destination_id: FromPath[str]
) -> Response[bytes]:
    if not _authorized(request, state):
        return _problem(401, "unauthorized", "Token fehlt oder ist ungültig.")
    keys: Keys = state.destination_keys
    if destination_id != keys.destination_id:
        return _problem(404, "destination-not-found", destination_id)
    faults: common.Faults = state.faults
    enc = keys.decoy if faults.wrong_key else keys.encryption
    return _json(
        {
            "destinationId": destination_id,
            "status": "active",
            "encryptionKid": enc["kid"],
        }
    )


@get("/v1/destinations/{destination_id:str}/keys/{kid:str}", sync_to_thread=False)
def destination_key(
    request: Request[object, object, State],
    state: State,
    destination_id: FromPath[str],
    kid: FromPath[str],
) -> Response[bytes]:
    if not _authorized(request, state):
        return _problem(401, "unauthorized", "Token fehlt oder ist ungültig.")
    keys: Keys = state.destination_keys
    for document, use in (
        (keys.encryption, "enc"),
        (keys.decoy, "enc"),
        (keys.signing, "sig"),
    ):
        if document["kid"] == kid and destination_id == keys.destination_id:
            return _json(crypto.public_jwk(_jwk(document), use))
    return _problem(404, "key-not-found", kid)


@post("/v1/submissions")
async def announce(
    request: Request[object, object, State], state: State
) -> Response[bytes]:
    if not _authorized(request, state):
        return _problem(401, "unauthorized", "Token fehlt oder ist ungültig.")
    refused = common.before(state, 0)
    if refused is not None:
        return refused
    try:
        body = msgspec.json.decode(await request.body(), type=api.CreateSubmission)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return _problem(400, "invalid-request", str(exc))
    keys: Keys = state.destination_keys
    if body.destination_id != keys.destination_id:
        return _problem(404, "destination-not-found", body.destination_id)
    store: SubmissionStore = state.store
    created, new = store.create(
        body.destination_id,
        request.headers.get(IDEMPOTENCY_HEADER),
        msgspec.to_builtins(body.service_type),
        body.announced_attachments,
    )
    answer = {
        "destinationId": created.destination_id,
        "submissionId": created.submission_id,
        "caseId": created.case_id,
        "status": created.status,
    }
    return _json(answer, 201 if new else 200)


@put("/v1/submissions/{submission_id:str}/attachments/{attachment_id:str}")
async def upload(
    request: Request[object, object, State],
    state: State,
    submission_id: FromPath[str],
    attachment_id: FromPath[str],
) -> Response[bytes]:
    if not _authorized(request, state):
        return _problem(401, "unauthorized", "Token fehlt oder ist ungültig.")
    body = await request.body()
    faults: common.Faults = state.faults
    if faults.max_bytes and len(body) > faults.max_bytes:
        inbox: Inbox = state.inbox
        inbox.count("too_large")
        return _problem(
            413, "attachment-too-large", f"{len(body)} > {faults.max_bytes} Bytes"
        )
    store: SubmissionStore = state.store
    submission = store.get(submission_id)
    if submission is None:
        return _problem(404, "submission-not-found", submission_id)
    if attachment_id not in submission.announced:
        return _problem(422, "attachment-not-announced", attachment_id)
    store.put_attachment(submission_id, attachment_id, body.decode("ascii", "replace"))
    return Response(b"", status_code=204)


@put("/v1/submissions/{submission_id:str}")
async def submit(
    request: Request[object, object, State], state: State, submission_id: FromPath[str]
) -> Response[bytes]:
    if not _authorized(request, state):
        return _problem(401, "unauthorized", "Token fehlt oder ist ungültig.")
    store: SubmissionStore = state.store
    submission = store.get(submission_id)
    if submission is None:
        return _problem(404, "submission-not-found", submission_id)
    try:
        body = msgspec.json.decode(await request.body(), type=api.SubmitSubmission)
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return _problem(400, "invalid-request", str(exc))
    missing = set(submission.announced) - store.uploaded(submission_id)
    if missing:
        return _problem(422, "missing-attachments", ", ".join(sorted(missing)))
    store.submit(submission_id, body.encrypted_metadata, body.encrypted_data)
    if state.auto_confirm:
        _schedule(state, submission_id)
    answer = {
        "destinationId": submission.destination_id,
        "submissionId": submission_id,
        "caseId": submission.case_id,
    }
    return _json(answer, 200)


def _schedule(state: State, submission_id: str) -> None:
    tasks: set[asyncio.Task[None]] = state.tasks
    task = asyncio.get_running_loop().create_task(_confirm(state, submission_id))
    tasks.add(task)
    task.add_done_callback(tasks.discard)


async def _confirm(state: State, submission_id: str) -> None:
    """The built-in subscriber, run in the background after a submit."""
    faults: common.Faults = state.faults
    if faults.delay:
        await asyncio.sleep(faults.delay)
    try:
        await asyncio.to_thread(_confirm_now, state, submission_id)
    except Exception:
        log.exception("subscriber failed on submission %s", submission_id)
        raise


def _confirm_now(state: State, submission_id: str) -> None:
    store: SubmissionStore = state.store
    submission = store.get(submission_id)
    if submission is None or submission.status != "submitted":
        return
    keys: Keys = state.destination_keys
    faults: common.Faults = state.faults
    inbox: Inbox = state.inbox
    refusal: str | None = faults.reject_reason or None
    if refusal is None:
        try:
            metadata, data, files = subscriber.open_submission(
                _jwk(keys.encryption), store, submission
            )
            subscriber.take_in(
                inbox, state.data / "faelle", submission, metadata, data, files
            )
        except subscriber.Refusal as exc:
            refusal = str(exc)
    if refusal is not None:
        inbox.count("rejected")
    token = subscriber.event_for(_jwk(keys.signing), submission, refusal)
    store.add_event(submission.case_id, token)
    store.set_status(submission_id, "rejected" if refusal else "accepted")


@get("/v1/cases/{case_id:str}/events", sync_to_thread=False)
def events(
    request: Request[object, object, State], state: State, case_id: FromPath[str]
) -> Response[bytes]:
    if not _authorized(request, state):
        return _problem(401, "unauthorized", "Token fehlt oder ist ungültig.")
    faults: common.Faults = state.faults
    if faults.garbage:
        return Response(b"\x00<<garbage>>", status_code=200, media_type=JSON)
    store: SubmissionStore = state.store
    if store.by_case(case_id) is None:
        return _problem(404, "case-not-found", case_id)
    return _json({"eventLog": store.events(case_id)})


@post("/v1/cases/{case_id:str}/events")
async def post_event(
    request: Request[object, object, State], state: State, case_id: FromPath[str]
) -> Response[bytes]:
    """An external subscriber's signed confirmation (accept or reject)."""
    if not _authorized(request, state):
        return _problem(401, "unauthorized", "Token fehlt oder ist ungültig.")
    token_text = (await request.body()).decode("ascii", "replace")
    keys: Keys = state.destination_keys
    try:
        claims = crypto.verify_event(_jwk(keys.signing), token_text)
    except crypto.CryptoError as exc:
        return _problem(422, "invalid-event", str(exc))
    store: SubmissionStore = state.store
    submission = store.by_case(case_id)
    if (
        submission is None
        or claims.get("sub") != f"submission:{submission.submission_id}"
    ):
        return _problem(404, "case-not-found", case_id)
    store.add_event(case_id, token_text)
    accepted = crypto.ACCEPT in claims.get("events", {})
    store.set_status(submission.submission_id, "accepted" if accepted else "rejected")
    return Response(b"", status_code=204)


@get("/v1/submissions", sync_to_thread=False)
def available(request: Request[object, object, State], state: State) -> Response[bytes]:
    if not _authorized(request, state):
        return _problem(401, "unauthorized", "Token fehlt oder ist ungültig.")
    store: SubmissionStore = state.store
    keys: Keys = state.destination_keys
    pending = store.pending(keys.destination_id)
    items = [
        {
            "destinationId": s.destination_id,
            "submissionId": s.submission_id,
            "caseId": s.case_id,
        }
        for s in pending
    ]
    return _json(
        {
            "count": len(items),
            "offset": 0,
            "totalCount": len(items),
            "submissions": items,
        }
    )


@get("/v1/submissions/{submission_id:str}", sync_to_thread=False)
def fetch(
    request: Request[object, object, State], state: State, submission_id: FromPath[str]
) -> Response[bytes]:
    if not _authorized(request, state):
        return _problem(401, "unauthorized", "Token fehlt oder ist ungültig.")
    store: SubmissionStore = state.store
    submission = store.get(submission_id)
    if submission is None or submission.status == "incomplete":
        return _problem(404, "submission-not-found", submission_id)
    return _json(_wire(submission))


def _wire(submission: StoredSubmission) -> dict[str, Any]:
    return {
        "destinationId": submission.destination_id,
        "submissionId": submission.submission_id,
        "caseId": submission.case_id,
        "serviceType": submission.service_type,
        "attachments": list(dict.fromkeys(submission.announced)),
        "encryptedMetadata": submission.encrypted_metadata,
        "encryptedData": submission.encrypted_data,
    }


@get(
    "/v1/submissions/{submission_id:str}/attachments/{attachment_id:str}",
    sync_to_thread=False,
)
def fetch_attachment(
    request: Request[object, object, State],
    state: State,
    submission_id: FromPath[str],
    attachment_id: FromPath[str],
) -> Response[bytes]:
    if not _authorized(request, state):
        return _problem(401, "unauthorized", "Token fehlt oder ist ungültig.")
    store: SubmissionStore = state.store
    token_text = store.attachment(submission_id, attachment_id)
    if token_text is None:
        return _problem(404, "attachment-not-found", attachment_id)
    return Response(token_text.encode(), media_type="application/jose")


@put("/_faults", sync_to_thread=False)
def set_faults(state: State, data: Annotated[common.Faults, Body()]) -> common.Faults:
    state.faults = data
    return data


def create_app(
    data: Path,
    faults: common.Faults,
    *,
    destination_id: str,
    client_id: str,
    client_secret: str,
    auto_confirm: bool = True,
) -> Litestar:
    store = SubmissionStore(data / "submissions.sqlite3")
    state = State(
        {
            "store": store,
            "inbox": Inbox(data / "inbox.sqlite3"),
            "destination_keys": load_keys(data / "keys.json", destination_id),
            "faults": faults,
            "data": data,
            "client_id": client_id,
            "client_secret": client_secret,
            "auto_confirm": auto_confirm,
            "tasks": set(),
        }
    )

    async def resume() -> None:
        """Confirm what was submitted before a restart."""
        if auto_confirm:
            for submission in store.pending(state.destination_keys.destination_id):
                _schedule(state, submission.submission_id)

    handlers = [
        token,
        destination,
        destination_key,
        announce,
        upload,
        submit,
        events,
        post_event,
    ]
    handlers += [available, fetch, fetch_attachment]
    return Litestar(
        route_handlers=[*handlers, *common.CONTROL],
        state=state,
        on_startup=[resume],
        request_max_body_size=512 * 1024 * 1024,
        openapi_config=None,
    )


def main() -> None:
    parser = common.arguments(
        "FIT-Connect-Referenzempfänger (Zustellpunkt und Subscriber)"
    )
    parser.add_argument(
        "--destination-id", default="4a6f1e0c-9b1d-4c1e-8f0a-7c3e5d2b1a90"
    )
    parser.add_argument("--client-id", default="efa-marktplatz")
    parser.add_argument("--client-secret", required=True)
    parser.add_argument(
        "--external-subscriber", action="store_true", help="do not confirm by itself"
    )
    args = parser.parse_args()
    app = create_app(
        args.data,
        common.faults_from(args),
        destination_id=args.destination_id,
        client_id=args.client_id,
        client_secret=args.client_secret,
        auto_confirm=not args.external_subscriber,
    )
    common.serve(app, args.host, args.port)


if __name__ == "__main__":
    main()
