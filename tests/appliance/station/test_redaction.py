"""ID copies at the station: held for a person whatever the rules say, and the
CAN and photo blacked out when the office wants it, with the capture hash kept as
anchor. Real pipeline (tesseract, zxing-cpp) on a generated ID copy."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pikepdf
import pytest
from PIL import Image

from appliance import transfer
from appliance.eid.idcopy import PHOTO_BOX
from appliance.integrity import sha256_file
from appliance.scanlog import ScanLog, verify_chain
from appliance.station import actions, redaction
from appliance.station.batches import Station, StationError
from appliance.station.store import DocState, StationDocument
from appliance.verify import verify_pdf
from tests.appliance.idcard import CAN, save_id_copy

from .conftest import MakeStation, run_batch

pytestmark = pytest.mark.slow


def note_of(pdf: str) -> transfer.Transfervermerk:
    with pikepdf.open(pdf) as opened:
        data = opened.attachments[transfer.NOTE_FILENAME].get_file().read_bytes()
    return transfer.decode(data)


def id_copy_document(station: Station) -> StationDocument:
    save_id_copy(
        Path(station.settings.input_folder) / "ausweis.png", 150, code="ROUTE-BA"
    )
    [document] = station.store.documents(batch_id=run_batch(station))
    return document


def test_id_copy_waits_for_a_person_and_is_redacted_for_its_office(
    make_station: MakeStation,
) -> None:
    """GIVEN a station with auto-commit and a barcode rule that sends ROUTE-BA to
    the Bürgeramt at 99 %, whose office wants CAN and photo blacked out
    WHEN an ID copy carrying that code is scanned and the operator redacts it
    THEN nothing reaches the outbox; the new PDF passes ``verify``, its signed note
    keeps the capture hash and says "geschwärzt: Zugangsnummer, Lichtbild"; the
    scan log records the capture hash and the redacted image's hash; the CAN is
    gone from the text and the photo area is black; a second redaction is refused."""
    station = make_station(mail="none", auto_commit=True)
    before = id_copy_document(station)
    assert before.state is DocState.OPEN
    assert before.decision.id_copy
    assert before.decision.needs_review
    assert sum(station.outbox.counts().values()) == 0
    assert CAN in before.text
    raw = before.pages[0].raw_sha256

    note = redaction.redact_id_copy(station, before.id)
    assert note == "Geschwärzt: Zugangsnummer, Lichtbild (Seite 1)."
    after = station.store.document(before.id)
    assert after is not None
    page = after.pages[0]
    assert (page.redacted, page.raw_sha256) == (["can", "photo"], raw)
    assert CAN not in after.text
    assert after.decision.id_copy
    assert verify_pdf(Path(after.pdf_path)).ok
    signed = note_of(after.pdf_path)
    assert signed.pages[0].raw_sha256 == raw
    details = [(a.kind, a.detail) for a in signed.anomalies]
    assert ("redacted", "geschwärzt: Zugangsnummer, Lichtbild") in details
    assert not Path(before.pages[0].archive_path).exists()
    log_path = Path(station.settings.state_dir) / "scan-log.jsonl"
    [entry] = [e for e in ScanLog(log_path).entries() if e.kind == "page_redacted"]
    assert entry.data["raw_sha256"] == raw
    assert entry.data["redacted_sha256"] == sha256_file(Path(page.archive_path))
    assert entry.data["redacted_sha256"] != raw
    assert verify_chain(log_path) == []
    grey = np.asarray(Image.open(page.archive_path).convert("L"))
    assert _darkest_share(grey, PHOTO_BOX) > 0.9
    with pytest.raises(StationError, match="nichts geändert"):
        redaction.redact_id_copy(station, before.id)


def test_redaction_is_offered_only_where_the_office_wants_it(
    make_station: MakeStation,
) -> None:
    """GIVEN the ID copy, moved by the operator to the Steueramt (no wish)
    WHEN a redaction is asked for
    THEN it is refused in German and the document is unchanged."""
    station = make_station(mail="none", auto_commit=False)
    document = id_copy_document(station)
    actions.change_office(station, document.id, "steueramt")
    with pytest.raises(StationError, match="wünscht keine Schwärzung"):
        redaction.redact_id_copy(station, document.id)
    unchanged = station.store.document(document.id)
    assert unchanged is not None
    assert unchanged.sha256 == document.sha256


def _darkest_share(grey: np.ndarray, box: tuple[float, float, float, float]) -> float:
    """Share of black pixels in the middle of ``box`` of the card found on the page."""
    from appliance.eid.idcopy import find_cards, fronts

    [card, *_] = fronts(find_cards(grey, 150), [])
    width, height = card.right - card.left, card.bottom - card.top
    x0, y0, x1, y1 = box
    inner = grey[
        card.top + int((y0 + 0.1) * height) : card.top + int((y1 - 0.1) * height),
        card.left + int((x0 + 0.05) * width) : card.left + int((x1 - 0.05) * width),
    ]
    return float((inner < 20).mean())
