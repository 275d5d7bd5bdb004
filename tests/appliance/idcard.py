"""A generated copy of a German ID card (both sides) on an A4 letter, with a real
TD1 machine-readable zone (valid check digits) and known photo and CAN areas."""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw

from appliance import samples
from appliance.model import BarcodeFormat
from appliance.routing.mrz import check_digit

CARD_MM = (85.6, 54.0)
CAN = "582947"
LETTER = (
    "Sehr geehrte Damen und Herren,",
    "wie gewünscht erhalten Sie anbei eine Kopie",
    "meines Personalausweises für meinen Antrag.",
    "Bitte geben Sie mir Bescheid, falls noch",
    "etwas fehlt oder Fragen offen geblieben sind.",
    "Mit freundlichen Grüßen",
)


def td1(
    number: str = "T22000129",
    birth: str = "640812",
    expiry: str = "310315",
    name: str = "MUSTERMANN<<ERIKA",
) -> tuple[str, str, str]:
    """The three lines of a German ID card's zone, every check digit computed."""
    one = f"IDD<<{number}{check_digit(number)}".ljust(30, "<")
    two_head = f"{birth}{check_digit(birth)}F{expiry}{check_digit(expiry)}D<<"
    two = two_head.ljust(29, "<")
    composite = one[5:30] + two[0:7] + two[8:15] + two[18:29]
    return one, two + str(check_digit(composite)), name.ljust(30, "<")


def card_boxes(dpi: int) -> dict[str, tuple[int, int, int, int]]:
    """Where front and back lie on the page, in pixels (left, top, right, bottom)."""
    mm = dpi / 25.4
    width, height = round(CARD_MM[0] * mm), round(CARD_MM[1] * mm)
    left, front_top = round(30 * mm), round(95 * mm)
    back_top = front_top + height + round(15 * mm)
    return {
        "front": (left, front_top, left + width, front_top + height),
        "back": (left, back_top, left + width, back_top + height),
    }


def id_copy_page(dpi: int, code: str = "") -> Image.Image:
    """An A4 page: a covering letter and a copy of both card sides below it;
    ``code`` is printed as a Code 128 at the bottom (a routing code, say)."""
    page = samples.blank_sheet(dpi)
    draw = ImageDraw.Draw(page)
    mm = dpi / 25.4
    for row, text in enumerate(LETTER):
        draw.text(
            (20 * mm, (20 + 10 * row) * mm),
            text,
            fill=10,
            font=samples.font(round(4.5 * mm)),
        )
    boxes = card_boxes(dpi)
    _front(draw, boxes["front"], mm)
    _back(draw, boxes["back"], mm)
    if code:
        image = samples.code_image(
            samples.Code(BarcodeFormat.CODE128, code), mm, module_mm=0.4
        )
        page.paste(image, (round(120 * mm), round(260 * mm)))
    return page


def _card(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], mm: float) -> None:
    draw.rounded_rectangle(box, radius=round(3 * mm), fill=225, outline=60, width=3)


def _front(
    draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], mm: float
) -> None:
    _card(draw, box, mm)
    left, top, right, bottom = box
    width, height = right - left, bottom - top
    draw.rectangle(
        (
            left + 0.05 * width,
            top + 0.28 * height,
            left + 0.33 * width,
            top + 0.9 * height,
        ),
        fill=90,
    )
    face = samples.font(round(2.6 * mm))
    draw.text(
        (left + 0.05 * width, top + 0.06 * height),
        "PERSONALAUSWEIS",
        fill=20,
        font=face,
    )
    for row, text in enumerate(("MUSTERMANN", "ERIKA", "12.08.1964")):
        draw.text(
            (left + 0.40 * width, top + (0.30 + 0.14 * row) * height),
            text,
            fill=20,
            font=face,
        )
    draw.text(
        (left + 0.74 * width, top + 0.86 * height),
        CAN,
        fill=15,
        font=samples.font(round(3 * mm), "DejaVuSansMono.ttf"),
    )


def _back(draw: ImageDraw.ImageDraw, box: tuple[int, int, int, int], mm: float) -> None:
    _card(draw, box, mm)
    left, top, _, bottom = box
    height = bottom - top
    draw.text(
        (left + 4 * mm, top + 0.12 * height),
        "HEIDESTRASSE 17, 51147 KÖLN",
        fill=20,
        font=samples.font(round(2.6 * mm)),
    )
    mono = samples.font(round(3.4 * mm), "DejaVuSansMono.ttf")
    for row, line in enumerate(td1()):
        draw.text(
            (left + 3 * mm, top + (0.56 + 0.14 * row) * height), line, fill=0, font=mono
        )


def save_id_copy(path: Path, dpi: int, *, code: str = "", seed: int = 7) -> Path:
    page = samples.scan(id_copy_page(dpi, code), seed, skew=0.8, noise=3.0)
    return samples.save(page, path, dpi)
