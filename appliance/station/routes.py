"""The station's pages and form actions (German, server-rendered, no CDN).

Handlers decode the form, call the station or an action, and render or redirect;
an operator mistake comes back as a German note on the page it came from.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

import msgspec
from litestar import Request, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery
from litestar.response import Redirect, Template

from appliance.eid.idcopy import area_labels
from appliance.errors import ApplianceError
from appliance.outbox import State as OutboxState
from appliance.routing import RoutingRules, parse_rules
from appliance.station import actions, redaction
from appliance.station.batches import Station
from appliance.station.store import DocState, StationDocument

StationDep = NamedDependency[Station]
Form = Body(media_type=RequestEncodingType.URL_ENCODED)


def provide_station(state: State) -> Station:
    station: Station = state.station
    return station


class StartForm(msgspec.Struct, kw_only=True):
    profile: str = ""
    source: str = "folder"


class ActionForm(msgspec.Struct, kw_only=True):
    page: int = 0
    office: str = ""


class RulesForm(msgspec.Struct, kw_only=True):
    text: str = ""


def _page(name: str, station: Station, **context: Any) -> Template:
    queue = len(station.store.documents(state=DocState.OPEN))
    counts = station.outbox.counts()
    rules, _ = _offices(station)
    return Template(
        template_name=name,
        context={
            "settings": station.settings,
            "office_names": {o.id: o.name for o in rules.offices} if rules else {},
            "queue_count": queue,
            "outbox_counts": {s.value: n for s, n in counts.items()},
            **context,
        },
    )


def _back(url: str, *, note: str = "", error: str = "") -> Redirect:
    query = (
        f"?hinweis={quote(note)}"
        if note
        else f"?fehler={quote(error)}"
        if error
        else ""
    )
    return Redirect(f"{url}{query}", status_code=303)


def _offices(station: Station) -> tuple[RoutingRules | None, str]:
    try:
        return station.rules(), ""
    except ApplianceError as exc:
        return None, exc.message


@get("/", sync_to_thread=True)
def index(
    station: StationDep,
    hinweis: FromQuery[str | None] = None,
    fehler: FromQuery[str | None] = None,
) -> Template:
    return _page(
        "index.html",
        station,
        batches=station.store.batches(),
        running=station.store.running(),
        note=hinweis,
        error=fehler,
    )


def _user(request: Request[Any, Any, State]) -> str:
    """The logged-in operator (the login middleware lets no one else through)."""
    return str(request.session.get("user") or "")


@post("/stapel", sync_to_thread=True)
def start_batch(
    station: StationDep,
    data: Annotated[StartForm, Form],
    request: Request[Any, Any, State],
) -> Redirect:
    try:
        batch_id = station.start_batch(data.profile, data.source, _user(request))
    except ApplianceError as exc:
        return _back("/", error=exc.message)
    return _back(f"/stapel/{batch_id}")


@post("/stapel/{batch_id:str}/{action:str}", sync_to_thread=True)
def continue_batch(
    station: StationDep,
    batch_id: FromPath[str],
    action: FromPath[str],
    request: Request[Any, Any, State],
) -> Redirect:
    """A paused scanner batch: "weiter" scans on, "abschliessen" processes it."""
    here = f"/stapel/{batch_id}"
    if action not in ("weiter", "abschliessen"):
        return _back(here, error="Unbekannte Aktion.")
    try:
        station.continue_batch(
            batch_id, _user(request), finish=action == "abschliessen"
        )
    except ApplianceError as exc:
        return _back(here, error=exc.message)
    return _back(here)


@get("/stapel/{batch_id:str}", sync_to_thread=True)
def batch_page(
    station: StationDep, batch_id: FromPath[str], fehler: FromQuery[str | None] = None
) -> Template:
    batch = station.store.batch(batch_id)
    if batch is None:
        return _page(
            "index.html", station, batches=[], running=None, error="Unbekannter Stapel."
        )
    documents = station.store.documents(batch_id=batch_id)
    return _page(
        "batch.html",
        station,
        batch=batch,
        documents=[d for d in documents if d.state is not DocState.DELETED],
        identified=station.identification(batch_id),
        error=fehler,
    )


@get("/api/stapel/{batch_id:str}", sync_to_thread=True)
def batch_status(station: StationDep, batch_id: FromPath[str]) -> dict[str, object]:
    batch = station.store.batch(batch_id)
    if batch is None:
        return {"state": "unknown"}
    return {
        "state": batch.state,
        "stage": batch.stage,
        "done": batch.done,
        "total": batch.total,
        "message": batch.message,
    }


@get("/pruefung", sync_to_thread=True)
def queue_page(station: StationDep, hinweis: FromQuery[str | None] = None) -> Template:
    documents = station.store.documents(state=DocState.OPEN)
    documents.sort(key=lambda d: (not d.decision.needs_review, d.batch_id, d.position))
    return _page("queue.html", station, documents=documents, note=hinweis)


@get("/dokumente/{doc_id:int}", sync_to_thread=True)
def document_page(
    station: StationDep,
    doc_id: FromPath[int],
    hinweis: FromQuery[str | None] = None,
    fehler: FromQuery[str | None] = None,
) -> Template:
    document = station.store.document(doc_id)
    rules, rules_error = _offices(station)
    return _page(
        "document.html",
        station,
        document=document,
        offices=rules.offices if rules else [],
        redaction=_redaction(rules, document),
        note=hinweis,
        error=fehler or rules_error,
    )


def _redaction(rules: RoutingRules | None, document: StationDocument | None) -> str:
    """What the chosen office wants blacked out on this ID copy ("" if nothing)."""
    if rules is None or document is None or not document.decision.id_copy:
        return ""
    office = rules.office(document.chosen_office or "")
    wanted = office.redact_id_copies if office else []
    done = [set(wanted) <= set(p.redacted) for p in document.pages]
    return "" if any(done) else area_labels(wanted)


@post("/dokumente/{doc_id:int}/{action:str}", sync_to_thread=True)
def document_action(
    station: StationDep,
    doc_id: FromPath[int],
    action: FromPath[str],
    data: Annotated[ActionForm, Form],
    request: Request[Any, Any, State],
) -> Redirect:
    here = f"/dokumente/{doc_id}"
    try:
        return _act(station, doc_id, action, data, here, _user(request))
    except ApplianceError as exc:
        return _back(here, error=exc.message)


def _act(
    station: Station,
    doc_id: int,
    action: str,
    data: ActionForm,
    here: str,
    user: str,
) -> Redirect:
    match action:
        case "freigeben":
            document = actions.approve(station, doc_id, user)
            return _back("/pruefung", note=_done(document))
        case "amt":
            actions.change_office(station, doc_id, data.office)
            return _back(here, note="Amt geändert.")
        case "loeschen":
            actions.delete_document(station, doc_id)
            return _back("/pruefung", note=f"Dokument {doc_id} gelöscht.")
        case "seite-loeschen":
            actions.delete_page(station, doc_id, data.page)
        case "seite-hoch" | "seite-runter":
            delta = -1 if action == "seite-hoch" else 1
            actions.move_page(station, doc_id, data.page, delta)
        case "teilen":
            new = actions.split(station, doc_id, data.page)
            return _back(here, note=f"Geteilt: der Rest ist Dokument {new}.")
        case "zusammenfuehren":
            actions.merge_next(station, doc_id)
        case "neu-scannen":
            actions.rescan_page(station, doc_id, data.page)
        case "ausweis-schwaerzen":
            return _back(here, note=redaction.redact_id_copy(station, doc_id))
        case _:
            return _back(here, error="Unbekannte Aktion.")
    return _back(here, note="Gespeichert.")


def _done(document: StationDocument) -> str:
    return f"Dokument {document.id} ist im Postausgang – fertig."


@get("/postausgang", sync_to_thread=True)
def outbox_page(station: StationDep, hinweis: FromQuery[str | None] = None) -> Template:
    return _page(
        "outbox.html",
        station,
        pending=station.outbox.entries(OutboxState.PENDING),
        dead=station.outbox.entries(OutboxState.DEAD),
        delivered=station.outbox.entries(OutboxState.DELIVERED, limit=50),
        problem=station.delivery_problem,
        note=hinweis,
    )


@post("/postausgang/{sha256:str}/erneut", sync_to_thread=True)
def retry(station: StationDep, sha256: FromPath[str]) -> Redirect:
    done = station.outbox.retry(sha256)
    note = "Erneut in die Zustellung gegeben." if done else "Nichts zu wiederholen."
    return _back("/postausgang", note=note)


@get("/regeln")
async def rules_page(
    station: StationDep, hinweis: FromQuery[str | None] = None
) -> Template:
    path = station.rules_path
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return _page("rules.html", station, text=text, path=path, note=hinweis, error="")


@post("/regeln")
async def save_rules(
    station: StationDep, data: Annotated[RulesForm, Form]
) -> Redirect | Template:
    path = station.rules_path
    text = data.text.replace("\r\n", "\n")
    try:
        parse_rules(text.encode("utf-8"), suffix=path.suffix.lower())
    except ApplianceError as exc:
        return _page(
            "rules.html", station, text=text, path=path, note="", error=exc.message
        )
    _write_atomically(path, text)
    return _back(
        "/regeln", note="Regeln gespeichert und ab dem nächsten Dokument gültig."
    )


def _write_atomically(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


PAGES = [
    index,
    start_batch,
    continue_batch,
    batch_page,
    batch_status,
    queue_page,
    document_page,
    document_action,
    outbox_page,
    retry,
    rules_page,
    save_rules,
]
