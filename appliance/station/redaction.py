"""Blacking out the access number (CAN) and the photo on an enclosed ID copy.

Only for documents marked as ID copy, and only the areas the chosen office asks
for in the rules file (``redact_id_copies``). Each page with the front side of a
card gets a new archive image (the old one is deleted) and is read again by
tesseract, so neither the image nor the text layer keeps the CAN. The scan log
records the capture hash (which stays the page's anchor in the Transfervermerk)
next to the hash of the redacted image; the rebuilt PDF/A carries a new signed
Transfervermerk with the anomaly "geschwärzt: Zugangsnummer, Lichtbild".
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import msgspec
import numpy as np
from PIL import Image

from appliance.clean import binarise
from appliance.eid import idcopy
from appliance.integrity import sha256_file
from appliance.ocr import ocr_page
from appliance.pages import Page
from appliance.station.actions import _label, _profile, _rebuild, open_document
from appliance.station.batches import Station, StationError


def wanted_areas(station: Station, office: str | None) -> list[str]:
    """What the office wants blacked out on ID copies (empty: nothing)."""
    if office is None:
        return []
    found = station.rules().office(office)
    return list(found.redact_id_copies) if found else []


def redact_id_copy(station: Station, doc_id: int) -> str:
    """Redact the document's ID copy as its office wants; the German outcome."""
    with station.edit_lock:
        document = open_document(station, doc_id)
        if not document.decision.id_copy:
            raise StationError("Dieses Dokument enthält keine Ausweiskopie.")
        areas = wanted_areas(station, document.chosen_office)
        if not areas:
            raise StationError("Das gewählte Amt wünscht keine Schwärzung.")
        job = station.job(
            document.batch_id, _profile(station, document), _label(document)
        )
        pages, changed = [], []
        for page in document.pages:
            redacted = None
            if not set(areas) <= set(page.redacted):
                redacted = redact_page(page, areas, job.work_dir)
            if redacted is None:
                pages.append(page)
                continue
            redacted = ocr_page(redacted, job)
            job.scan_log.append(
                "page_redacted",
                document.batch_id,
                {
                    "station_document": doc_id,
                    "page": page.number,
                    "raw_sha256": page.raw_sha256,
                    "redacted_sha256": sha256_file(Path(redacted.archive_path)),
                    "areas": redacted.redacted,
                },
            )
            pages.append(redacted)
            changed.append((page, redacted))
        if not changed:
            raise StationError(
                "Keine Vorderseite eines Ausweises gefunden, die noch zu schwärzen "
                "wäre; nichts geändert."
            )
        _rebuild(station, document, pages)
        station.thumbnails([new for _, new in changed], refresh=True)
        _remove_replaced(changed)
    numbers = ", ".join(str(pages.index(new) + 1) for _, new in changed)
    return f"Geschwärzt: {idcopy.area_labels(areas)} (Seite {numbers})."


def redact_page(page: Page, areas: Sequence[str], work_dir: Path) -> Page | None:
    """A page with every card front redacted, or ``None`` if it shows no front.

    The new archive image is lossless (PNG); the binarised copy for OCR is made
    from it, and the page's text is cleared until OCR has read it again.
    """
    tsv = Path(page.text_layer_path).with_suffix(".tsv")
    zone = idcopy.zone_centres(tsv.read_text(encoding="utf-8")) if tsv.exists() else []
    with Image.open(page.archive_path) as opened:
        image = opened.copy()
    grey = np.asarray(image.convert("L"))
    cards = idcopy.fronts(idcopy.find_cards(grey, page.dpi), zone)
    if not cards:
        return None
    for card in cards:
        image = idcopy.redact(image, card, photo="photo" in areas, can="can" in areas)
    archive = work_dir / f"{page.number:04d}_redacted.png"
    image.save(archive, dpi=(page.dpi, page.dpi))
    binary = work_dir / f"{page.number:04d}_redacted_binary.pgm"
    cv2.imwrite(str(binary), binarise(np.asarray(image.convert("L"))))
    return msgspec.structs.replace(
        page,
        mode=image.mode,
        archive_path=str(archive),
        binary_path=str(binary),
        redacted=[a for a in idcopy.AREA_LABELS if a in {*page.redacted, *areas}],
        text="",
        confidence=None,
        text_layer_path="",
    )


def _remove_replaced(changed: Sequence[tuple[Page, Page]]) -> None:
    """The unredacted images leave the work folder; the raw capture stays."""
    for old, new in changed:
        for stale, kept in (
            (old.archive_path, new.archive_path),
            (old.binary_path, new.binary_path),
        ):
            if stale and stale != kept:
                Path(stale).unlink(missing_ok=True)
