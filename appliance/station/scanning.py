"""Scanner batches on the station: scan, pause when the scanner stops or the
flatbed waits for the next sheet, go on from the page, and close the batch.

Every page scanned is kept in the station database (table ``captured``) as soon
as scanimage has finished, so a paused batch survives a restart of the station
and goes on with the next page number. A station stopped while scanimage ran
finds the batch paused after its restart, and the pages scanimage finished
meanwhile are taken into the batch before it scans on.

A feeder that runs empty after giving pages ends the batch as usual; a jam, an
open cover, an empty feeder before the first sheet or a scanner that cannot be
reached pause it with the scanner's German message, and the operator presses
"Weiter scannen" or "Stapel abschließen".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from appliance.errors import ScannerError
from appliance.job import JobContext
from appliance.scanner import ScanOutcome, adopt_leftovers, capture_scanner
from appliance.settings import ScanProfile

if TYPE_CHECKING:
    from appliance.station.batches import Ending, Station

NEXT_SHEET = (
    "Seite {total} gescannt. Nächstes Blatt auflegen und „Weiter scannen“ drücken"
    " oder den Stapel abschließen."
)


def scan(station: Station, batch_id: str, profile: ScanProfile) -> Ending:
    """Scan on from the next page number; pause or, when the feeder ran empty
    after some sheets, process the whole batch."""
    job = station.job(batch_id, profile)
    start = _adopt(station, job) + 1
    try:
        outcome = capture_scanner(job, station.settings.scanner, start=start)
    except ScannerError as exc:  # the device cannot even be asked: plug it in again
        outcome = ScanOutcome(pages=[], stopped=exc.code, message=exc.message)
    station.store.add_captured(batch_id, outcome.pages)
    total = start - 1 + len(outcome.pages)
    if outcome.stopped is None and profile.source != "flatbed":
        return finish(station, batch_id, profile)
    message = outcome.message or NEXT_SHEET.format(total=total)
    return "paused", f"{message} Bisher {total} Seiten erfasst.", total


def finish(station: Station, batch_id: str, profile: ScanProfile) -> Ending:
    """Process every page scanned for the batch into its documents."""
    job = station.job(batch_id, profile)
    _adopt(station, job)
    pages = station.store.captured(batch_id)
    return "done", station.process(job, pages), len(pages)


def _adopt(station: Station, job: JobContext) -> int:
    """Record the pages scanimage finished after the station stopped; the number
    of pages the batch has now."""
    known = len(station.store.captured(job.batch_id))
    leftovers = adopt_leftovers(job, station.settings.scanner, known + 1)
    station.store.add_captured(job.batch_id, leftovers)
    return known + len(leftovers)
