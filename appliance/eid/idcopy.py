"""Copies of ID cards enclosed in the mail (PAuswG §20).

A page whose OCR text holds a machine-readable zone with valid check digits
(``appliance.routing.mrz``) carries an ID copy. The law's consequences: the
document is marked "Kopie eines Ausweisdokuments" (sidecar, Transfervermerk,
station page), never routed automatically but to a person (``needs_review``,
no route), and, if the office wants it, the access number (CAN) and the photo
are blacked out on the page image before it leaves the appliance.

Redaction boxes are relative to the card's outline on the page (ID-1 format,
85.6 × 54 mm), generous around where the German ID card (2010 and 2021 designs)
prints the photo (front, left) and the six-digit CAN (front, bottom right). The
outline is found as a card-shaped rectangle on the page; the side that holds the
zone is the back, every other card-shaped rectangle a front.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

import cv2
import msgspec
import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from appliance import zone
from appliance.model import RoutingDecision
from appliance.pages import Anomaly, Page
from appliance.routing.mrz import find_mrz

COPY_MARK = "Kopie eines Ausweisdokuments"
COPY_NOTE = (
    f"{COPY_MARK}: nur mit Einwilligung, als Kopie gekennzeichnet (§ 20 PAuswG); "
    "keine automatische Weiterleitung."
)
Area = Literal["can", "photo"]
AREA_LABELS: dict[str, str] = {"can": "Zugangsnummer", "photo": "Lichtbild"}

# (left, top, right, bottom) as fractions of the card's width and height.
PHOTO_BOX = (0.02, 0.20, 0.40, 0.98)
CAN_BOX = (0.66, 0.82, 0.99, 0.99)
BOXES: dict[str, tuple[float, float, float, float]] = {
    "can": CAN_BOX,
    "photo": PHOTO_BOX,
}
ID1_ASPECT = 85.6 / 54.0


class CardOutline(msgspec.Struct, kw_only=True, frozen=True):
    """Where one side of the card lies on the page image, in pixels."""

    left: int
    top: int
    right: int
    bottom: int

    def contains(self, x: float, y: float) -> bool:
        return self.left <= x <= self.right and self.top <= y <= self.bottom


def area_labels(areas: Sequence[str]) -> str:
    """``["photo", "can"]`` -> "Zugangsnummer, Lichtbild" (always in that order)."""
    return ", ".join(AREA_LABELS[a] for a in AREA_LABELS if a in areas)


def copy_anomalies(pages: Sequence[Page]) -> list[Anomaly]:
    """One ``id_copy`` anomaly per page with a zone, one ``redacted`` per redaction."""
    found: list[Anomaly] = []
    for page in pages:
        zones = find_mrz(page.text)
        zone_format = page.zone_format or (str(zones[0].format) if zones else "")
        if zone_format:
            detail = f"{COPY_MARK} (maschinenlesbare Zone {zone_format})"
            found.append(Anomaly(kind="id_copy", page=page.number, detail=detail))
        if page.redacted:
            detail = f"geschwärzt: {area_labels(page.redacted)}"
            found.append(Anomaly(kind="redacted", page=page.number, detail=detail))
    return found


def mark_as_copy(decision: RoutingDecision, *, found: bool = False) -> RoutingDecision:
    """An ID copy goes to a person; nothing about it is processed automatically.

    ``found`` is the pipeline's own finding, so a router that does not look for
    zones cannot let a copy through.
    """
    if not (decision.id_copy or found):
        return decision
    reason = f"{decision.reason} {COPY_NOTE}" if decision.reason else COPY_NOTE
    return msgspec.structs.replace(
        decision, needs_review=True, route=None, id_copy=True, reason=reason.strip()
    )


def find_cards(grey: NDArray[Any], dpi: int) -> list[CardOutline]:
    """Card-shaped rectangles (ID-1 proportions, at least 40 mm wide) on a page,
    top to bottom. Copies are often enlarged, so only the proportion is strict."""
    paper = float(np.percentile(grey[::4, ::4], 90))
    dark: NDArray[Any] = (grey < paper - 12).astype(np.uint8) * 255
    size = max(3, round(dpi / 25.4))
    mask = cv2.morphologyEx(dark, cv2.MORPH_CLOSE, np.ones((size, size), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cards = []
    for contour in contours:
        x, y, w, h = cv2.boundingRect(contour)
        wide, high = max(w, h), min(w, h)
        solid = cv2.contourArea(contour) / float(w * h)
        if (
            wide >= 40 * dpi / 25.4
            and abs(wide / high - ID1_ASPECT) < 0.12
            and solid > 0.85
        ):
            cards.append(CardOutline(left=x, top=y, right=x + w, bottom=y + h))
    return sorted(cards, key=lambda c: (c.top, c.left))


def zone_centres(tsv: str) -> list[tuple[float, float]]:
    """Centres of the OCR words that look like lines of a machine-readable zone."""
    return [((x0 + x1) / 2, (y0 + y1) / 2) for x0, y0, x1, y1 in zone.zone_boxes(tsv)]


def fronts(
    cards: Sequence[CardOutline], zone: Sequence[tuple[float, float]]
) -> list[CardOutline]:
    """The cards that do not hold the zone: the sides with photo and CAN."""
    return [c for c in cards if not any(c.contains(x, y) for x, y in zone)]


def redact(
    page: Image.Image, card: CardOutline, *, photo: bool = True, can: bool = True
) -> Image.Image:
    """A copy of ``page`` with the photo and/or CAN of the card filled black,
    and "KOPIE" written across the card. The colour mode is kept."""
    out = page.convert("RGB") if page.mode not in ("L", "RGB") else page.copy()
    black: int | tuple[int, int, int] = 0 if out.mode == "L" else (0, 0, 0)
    draw = ImageDraw.Draw(out)
    width, height = card.right - card.left, card.bottom - card.top
    boxes = [box for box, wanted in ((PHOTO_BOX, photo), (CAN_BOX, can)) if wanted]
    for x0, y0, x1, y1 in boxes:
        draw.rectangle(
            (
                card.left + int(x0 * width),
                card.top + int(y0 * height),
                card.left + int(x1 * width),
                card.top + int(y1 * height),
            ),
            fill=black,
        )
    font = ImageFont.load_default(size=max(12, height // 8))
    draw.text(
        (card.left + int(0.45 * width), card.top + int(0.02 * height)),
        "KOPIE",
        fill=black,
        font=font,
    )
    return out
