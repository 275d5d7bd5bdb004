"""The demo's printout (German): where each document went and what to look at."""

from __future__ import annotations

from marketplace.demo.flow.config import STATION_PASSWORD, STATION_USER, FlowConfig
from marketplace.demo.flow.outcome import Outcome
from marketplace.demo.flow.repository import Job, receivers
from marketplace.demo.flow.run import FlowResult

_METHODS = {
    "barcode": "Barcode",
    "file_reference": "Aktenzeichen",
    "keyword": "Stichwörter",
    "classifier": "gelernt",
    "manual": "von Hand",
}


def render(result: FlowResult) -> str:
    lines = ["", *_intro(result)]
    for outcome in result.outcomes:
        lines += _document(result.config, outcome)
    lines += ["", _stored(result.config), _beat(result), "", *pages(result.config)]
    if result.replication is not None:
        copied = result.replication
        lines.append(
            f"  Zweiter Knoten (Föderation) {result.config.replica_url}/ "
            f"({copied.replica_offers} von {copied.home_offers} Angeboten repliziert)"
        )
    return "\n".join(lines)


def _beat(result: FlowResult) -> str:
    beat = result.heartbeat
    if beat is None:
        return "Flotte: von der Scanstation kam (noch) kein Herzschlag."
    health = beat.health
    return (
        f"Flotte: Herzschlag der Scanstation {beat.at}, Tesseract"
        f" {health.get('tesseract') or 'fehlt'}, Postausgang"
        f" {health.get('outbox_depth', 0)} wartend,"
        f" {health.get('dead_letters', 0)} unzustellbar."
    )


def _intro(result: FlowResult) -> list[str]:
    truth = result.truth
    sheets, documents = len(truth.pages), len(result.outcomes)
    how = "jetzt gescannt" if result.scanned_now else "bereits gescannt (Neustart)"
    return [
        f"Beispielpost: {sheets} Blätter, {documents} Dokumente, Stapel "
        f"{result.batch_id} ({how}). Wohin jedes Dokument ging:",
    ]


def _document(config: FlowConfig, outcome: Outcome) -> list[str]:
    title = outcome.truth.title if outcome.truth else "(nicht geplantes Dokument)"
    lines = ["", f"{outcome.position}. {title}"]
    lines.append(f"   Station: {_station(outcome)}")
    if not outcome.committed:
        return lines
    entry = outcome.outbox
    if entry is not None and entry.state.value == "dead":
        lines.append(f"   Postausgang: unzustellbar: {entry.last_error}")
        return lines
    market = outcome.market
    receipt = entry.receipt_id if entry else None
    if entry is not None and entry.state.value == "pending":
        why = f" (zuletzt: {entry.last_error})" if entry.last_error else ""
        lines.append(f"   Postausgang: wartet auf Zustellung{why}")
        return lines
    if market is None:
        lines.append("   Marktplatz: noch nicht eingegangen")
        return lines
    how = "mit Gerätesignatur" if market.device else "mit dem Token des Kontos"
    sender = f"von {market.sender} {how}" if market.sender else ""
    lines.append(f"   Marktplatz: eingegangen {sender} (Quittung {receipt})")
    if market.undeliverable_reason is not None:
        lines.append(f"   Nicht zustellbar: {market.undeliverable_reason}")
    for job in market.jobs:
        lines.append(
            f"   → Abonnement {market.subscription_id}, Route „{job.route}“: "
            f"{_job(config, job)}"
        )
    return lines


def _stored(config: FlowConfig) -> str:
    """The receivers' own records, scanned and online submissions together."""
    found = receivers(config.receivers_data, config.var / "ablage")
    counts = ", ".join(f"{s.name} {len(s.keys)}" for s in found)
    repeats = sum(copies - 1 for s in found for copies in s.keys.values())
    note = "keine doppelt" if repeats == 0 else f"{repeats} Wiederholung(en) erkannt"
    return f"Bei den Empfängern gespeichert (Papier und online): {counts}; {note}."


def _station(outcome: Outcome) -> str:
    office = outcome.office_name or "kein Amt erkannt"
    method = _METHODS.get(outcome.truth.method if outcome.truth else "", "")
    parts = [office + (f" ({method})" if method and outcome.office else "")]
    if outcome.route and not outcome.needs_review:
        parts.append(f"Route {outcome.route}")
    if outcome.leika_key:
        parts.append(f"LeiKa {outcome.leika_key}")
    if outcome.id_copy:
        parts.append("Kopie eines Ausweisdokuments: wartet auf eine Person")
    elif outcome.needs_review:
        parts.append(f"wartet auf Prüfung ({outcome.reason})")
    if outcome.keep_original:
        parts.append("Negativliste: Original an Fachamt")
    if outcome.committed:
        parts.append("in den Postausgang gelegt")
    return "; ".join(parts)


def _job(config: FlowConfig, job: Job) -> str:
    where = {
        "fitconnect": f"FIT-Connect-Empfänger {config.receiver_url('fitconnect')}",
        "xdomea": f"E-Akte {config.receiver_url('eakte')}",
        "webhook": f"Webhook-Empfänger {config.receiver_url('webhook')}",
        "dropfolder": f"DMS-Ablage {config.var / 'ablage'}",
    }[job.kind]
    if job.state == "delivered":
        return f"{where}, Empfangsbestätigung {job.reference}"
    if job.state == "dead":
        return f"{where}: unzustellbar ({job.reason})"
    waiting = f", zuletzt: {job.reason}" if job.reason else ""
    return f"{where}: wird noch zugestellt{waiting}"


def pages(config: FlowConfig) -> list[str]:
    market = config.marketplace_url
    return [
        "Zum Ansehen:",
        f"  Katalog                    {market}/",
        "  Zustellung (Anmeldung dresden-einkauf / demo-dresden):",
        f"    Bewohnerparken           {market}/abonnements/dresden-bewohnerparken/zustellung",
        f"    Meldebescheinigung       {market}/abonnements/dresden-meldebescheinigung/zustellung",
        f"  Übermittlungsprotokoll     {market}/kommune/protokoll",
        f"  Flotte (betrieb / demo-betrieb) {market}/flotte",
        f"  E-Akte                     {config.receiver_url('eakte')}/",
        f"  Scanstation ({STATION_USER} / {STATION_PASSWORD}) {config.station_url}/",
        f"  API-Dokumentation          {market}/schema",
    ]
