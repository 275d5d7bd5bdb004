"""Copies of ID cards enclosed in the mail (PAuswG §20).

The scanning pipeline flags a page with a machine-readable zone as ``id_copy``.
Here the law's consequences: such a document is marked as a copy, never routed
automatically but to a person (``needs_review``), and, if the office wants it,
the access number (CAN) and the photo are blacked out on the page image.

Redaction boxes are relative to the card's outline on the page (ID-1 format,
85.6 × 54 mm), generous around where the German ID card (2010 and 2021 designs)
prints the photo (front, left) and the six-digit CAN (front, bottom right).
"""

from __future__ import annotations

import msgspec
from PIL import Image, ImageDraw

from appliance.model import RoutingDecision

COPY_NOTE = "Ausweiskopie: nur mit Einwilligung, als Kopie gekennzeichnet (§ 20 PAuswG)"

# (left, top, right, bottom) as fractions of the card's width and height.
PHOTO_BOX = (0.02, 0.20, 0.40, 0.98)
CAN_BOX = (0.66, 0.82, 0.99, 0.99)


class CardOutline(msgspec.Struct, kw_only=True, frozen=True):
    """Where the card's front side lies on the page image, in pixels."""

    left: int
    top: int
    right: int
    bottom: int


def mark_as_copy(decision: RoutingDecision) -> RoutingDecision:
    """An ID copy goes to a person; nothing about it is processed automatically."""
    if not decision.id_copy:
        return decision
    reason = f"{decision.reason}; {COPY_NOTE}" if decision.reason else COPY_NOTE
    return msgspec.structs.replace(
        decision, needs_review=True, route=None, method="manual", reason=reason
    )


def redact(
    page: Image.Image, card: CardOutline, *, photo: bool = True, can: bool = True
) -> Image.Image:
    """A copy of ``page`` with the photo and/or CAN of the card filled black,
    and "KOPIE" written across the card."""
    out = page.convert("RGB")
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
            fill=(0, 0, 0),
        )
    draw.text((card.left + width // 2, card.top + 4), "KOPIE", fill=(200, 0, 0))
    return out
