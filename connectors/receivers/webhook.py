"""Reference webhook receiver: a Fachverfahren that accepts signed pushes.

``POST /eingang`` checks the HMAC and the 5-minute replay window, decodes the
submission (JSON, or the raw document with ``X-Submission``; see
``connectors.webhook_wire``), verifies every document checksum, stores it once per idempotency key
and answers an ``Ack`` (201 new, 200 duplicate). Run it with
``python -m connectors.receivers.webhook --port 8301 --data var/webhook --secret ...``.
"""

from __future__ import annotations

from pathlib import Path

import msgspec
from litestar import Litestar, Request, Response, post
from litestar.datastructures import State

from connectors import webhook_wire
from connectors.errors import InvalidSubmission
from connectors.receivers import common
from connectors.receivers.inbox import Inbox
from connectors.signing import (
    IDEMPOTENCY_HEADER,
    SIGNATURE_HEADER,
    TEST_HEADER,
    TIMESTAMP_HEADER,
    verify,
)

WRONG_SECRET = b"this-is-not-the-shared-secret"


@post("/eingang")
async def receive(
    request: Request[object, object, State], state: State
) -> Response[bytes]:
    body = await request.body()
    refused = common.before(state, len(body))
    if refused is not None:
        return refused
    faults: common.Faults = state.faults
    secret = WRONG_SECRET if faults.wrong_key else state.secret
    description = request.headers.get(webhook_wire.SUBMISSION_HEADER, "")
    reason = verify(
        secret,
        request.headers.get(TIMESTAMP_HEADER),
        request.headers.get(SIGNATURE_HEADER),
        body,
        description=description,
    )
    inbox: Inbox = state.inbox
    if reason is not None:
        inbox.count("unauthorized")
        return common.problem(401, "Signaturprüfung fehlgeschlagen", reason)
    if faults.reject_reason:
        inbox.count("rejected")
        return common.problem(422, "Einreichung abgelehnt", faults.reject_reason)
    try:
        submission = webhook_wire.decode(description, body)
    except InvalidSubmission as exc:
        inbox.count("invalid")
        return common.problem(422, "Einreichung ungültig", str(exc))
    key = request.headers.get(IDEMPOTENCY_HEADER, "")
    if key != submission.idempotency_key:
        inbox.count("invalid")
        return common.problem(400, "Idempotency-Key passt nicht zur Einreichung")
    test = request.headers.get(TEST_HEADER) == "1"
    summary = f"{submission.metadata.leika} {len(submission.documents)} Dokument(e)"
    ack = inbox.accept(key, test=test, size=len(body), summary=summary)
    late = await common.after(state)
    if late is not None:
        return late
    status = 200 if ack.duplicate else 201
    return Response(
        msgspec.json.encode(ack), status_code=status, media_type="application/json"
    )


def create_app(data: Path, secret: bytes, faults: common.Faults) -> Litestar:
    state = State(
        {"inbox": Inbox(data / "inbox.sqlite3"), "secret": secret, "faults": faults}
    )
    return Litestar(
        route_handlers=[receive, *common.CONTROL],
        state=state,
        request_max_body_size=512 * 1024 * 1024,
        openapi_config=None,
    )


def main() -> None:
    parser = common.arguments("Webhook-Referenzempfänger")
    parser.add_argument("--secret", required=True, help="shared HMAC secret")
    args = parser.parse_args()
    app = create_app(args.data, args.secret.encode(), common.faults_from(args))
    common.serve(app, args.host, args.port)


if __name__ == "__main__":
    main()
