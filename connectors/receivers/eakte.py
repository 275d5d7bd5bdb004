"""Reference E-Akte: imports xdomea ``Abgabe.Abgabe.0401`` messages and shows them.

``POST /xdomea/nachrichten`` unpacks the container, checks the xdomea rules and
every document's SHA-256, stores the files under ``<data>/akten/<ProzessID>/``
once per idempotency key and answers ``Abgabe.ImportBestaetigen.0402``. A
rejection (fault switch or checksum mismatch) is an 0402 with ``Erfolgreich = 0``
and a Fehlermeldung, as the standard does it. ``GET /`` lists what arrived.
"""

from __future__ import annotations

import hashlib
import html
from pathlib import Path

from litestar import Litestar, Request, Response, get, post
from litestar.datastructures import State

from connectors.receivers import common
from connectors.receivers.inbox import Inbox
from connectors.signing import IDEMPOTENCY_HEADER, TEST_HEADER
from connectors.xdomea.connector import DUPLICATE_HEADER, FILENAME_HEADER
from connectors.xdomea.message import (
    build_import_confirmation,
    document_checksums,
    unpack_abgabe,
)
from connectors.xdomea.rules import XdomeaError

XML = "application/xml"


def _store(folder: Path, xml: bytes, files: dict[str, bytes]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "nachricht.xml").write_bytes(xml)
    for name, content in files.items():
        (folder / name).write_bytes(content)


@post("/xdomea/nachrichten")
async def receive(
    request: Request[object, object, State], state: State
) -> Response[bytes]:
    body = await request.body()
    refused = common.before(state, len(body))
    if refused is not None:
        return refused
    inbox: Inbox = state.inbox
    try:
        message = unpack_abgabe(
            request.headers.get(FILENAME_HEADER, ""), body, 4 * len(body) + 65536
        )
    except XdomeaError as exc:
        inbox.count("invalid")
        return common.problem(422, "Keine gültige xdomea-Nachricht", str(exc))
    faults: common.Faults = state.faults
    error = faults.reject_reason or _checksum_error(message.root_xml, message.files)
    answer = build_import_confirmation(message.process_id, message.root_xml, error)
    if error:
        inbox.count("rejected")
        return Response(answer, status_code=200, media_type=XML)
    key = request.headers.get(IDEMPOTENCY_HEADER, "")
    if key != message.fields.get("Idempotenzschluessel"):
        inbox.count("invalid")
        return common.problem(400, "Idempotency-Key passt nicht zur Nachricht")
    test = request.headers.get(TEST_HEADER) == "1" and message.fields.get("Test") == "1"
    summary = f"{message.fields.get('Leistungsschluessel', '')} {len(message.files)} Datei(en)"
    ack = inbox.accept(key, test=test, size=len(body), summary=summary)
    if not ack.duplicate:
        _store(
            state.data / "akten" / message.process_id, message.root_xml, message.files
        )
    late = await common.after(state)
    if late is not None:
        return late
    headers = {DUPLICATE_HEADER: "1" if ack.duplicate else "0"}
    return Response(answer, status_code=200, media_type=XML, headers=headers)


def _checksum_error(root_xml: bytes, files: dict[str, bytes]) -> str | None:
    for name, expected in document_checksums(root_xml).items():
        if hashlib.sha256(files[name]).hexdigest() != expected:
            return f"Prüfsumme von {name} stimmt nicht"
    return None


@get("/", sync_to_thread=False)
def overview(state: State) -> Response[str]:
    """German page listing every imported message (newest first)."""
    inbox: Inbox = state.inbox
    rows = []
    for entry in inbox.entries(200):
        test = "Test" if entry.test else "Produktion"
        rows.append(
            f"<tr><td>{html.escape(entry.received_at.isoformat(timespec='seconds'))}</td>"
            f"<td>{html.escape(entry.reference)}</td><td>{test}</td>"
            f"<td>{html.escape(entry.summary)}</td><td>{entry.size}</td>"
            f"<td>{entry.copies}</td></tr>"
        )
    page = (
        "<!doctype html><html lang='de'><head><meta charset='utf-8'>"
        "<title>E-Akte: Posteingang</title></head><body><h1>E-Akte: Posteingang (xdomea)</h1>"
        f"<p>{len(rows)} Nachricht(en) importiert.</p>"
        "<table><thead><tr><th>Eingang</th><th>Aktenzeichen intern</th><th>Umgebung</th>"
        "<th>Inhalt</th><th>Bytes</th><th>Zustellungen</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></body></html>"
    )
    return Response(page, media_type="text/html; charset=utf-8")


def create_app(data: Path, faults: common.Faults) -> Litestar:
    state = State(
        {"inbox": Inbox(data / "inbox.sqlite3"), "faults": faults, "data": data}
    )
    return Litestar(
        route_handlers=[receive, overview, *common.CONTROL],
        state=state,
        request_max_body_size=512 * 1024 * 1024,
        openapi_config=None,
    )


def main() -> None:
    args = common.arguments("E-Akte-Referenzempfänger (xdomea)").parse_args()
    common.serve(create_app(args.data, common.faults_from(args)), args.host, args.port)


if __name__ == "__main__":
    main()
