"""Drawing the sample mail's sheets: citizens' letters, city forms sent back with a
routing code, an ID-card copy with a TD1 machine-readable zone. Built on
``appliance.samples`` (DejaVu fonts from Debian's ``fonts-dejavu-core``, zxing-cpp
codes, the scanner model); every random choice comes from the seed."""

from __future__ import annotations

import random
import textwrap

from PIL import Image, ImageDraw

from appliance import samples
from appliance.routing.mrz import check_digit
from appliance.sample_mail.content import PageSpec, Template

CITY = "Stadt Musterstadt"
CARD_MM = (85.6, 54.0)
MRZ_FONT = "DejaVuSansMono.ttf"


def td1(
    number: str = "T22000129",
    birth: str = "640812",
    expiry: str = "310315",
    name: str = "MUSTERMANN<<ERIKA",
) -> tuple[str, str, str]:
    """The three lines of a German ID card's zone (ICAO 9303 TD1), check digits
    computed; the defaults are the published specimen card of Erika Mustermann."""
    one = f"IDD<<{number}{check_digit(number)}".ljust(30, "<")
    two = f"{birth}{check_digit(birth)}F{expiry}{check_digit(expiry)}D".ljust(29, "<")
    composite = one[5:30] + two[0:7] + two[8:15] + two[18:29]
    return one, two + str(check_digit(composite)), name.ljust(30, "<")


def draw_page(template: Template, spec: PageSpec, dpi: int, seed: int) -> Image.Image:
    """One clean sheet (before the scanner model is applied)."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    page = samples.blank_sheet(dpi)
    mm = dpi / 25.4
    if spec.kind == "letter":
        _letter(page, template, spec, mm, rng)
    elif spec.kind == "form":
        _form(page, template, spec, mm)
    elif spec.kind == "id_copy":
        _id_copy(page, mm)
    if spec.code is not None:
        code = samples.Code(spec.code[0], spec.code[1])
        image = samples.code_image(code, mm, module_mm=0.5)
        left = min(round(130 * mm), page.width - round(15 * mm) - image.width)
        page.paste(image, (left, round(262 * mm) - image.height))
    return page


def _letter(
    page: Image.Image,
    template: Template,
    spec: PageSpec,
    mm: float,
    rng: random.Random,
) -> None:
    draw = ImageDraw.Draw(page)
    face = rng.choice(samples.FONTS)
    small = samples.font(round(3.2 * mm), face)
    for row, line in enumerate(template.sender):
        draw.text((25 * mm, (15 + 5 * row) * mm), line, fill=25, font=small)
    address = (CITY, template.recipient, "Markt 1", "04109 Musterstadt")
    for row, line in enumerate(address):
        draw.text((25 * mm, (50 + 5 * row) * mm), line, fill=20, font=small)
    draw.text((130 * mm, 80 * mm), "Musterstadt, 20.10.2026", fill=30, font=small)
    y = 95 * mm
    if spec.title:
        bold = samples.font(round(4 * mm), "DejaVuSans-Bold.ttf")
        for line in textwrap.wrap(spec.title, 55):
            draw.text((25 * mm, y), line, fill=10, font=bold)
            y += 7 * mm
        y += 5 * mm
    size_mm = rng.choice((3.6, 3.9, 4.2))
    size = round(size_mm * mm)
    body = samples.font(size, face)
    for paragraph in spec.body:
        for line in textwrap.wrap(paragraph, int(150 / (0.55 * size_mm))):
            draw.text((25 * mm, y), line, fill=rng.randint(0, 40), font=body)
            y += size * 1.5
        y += size * 0.8
    if spec.body and spec.body[-1].startswith(("Mit freundlichen", "Vielen Dank")):
        signature = samples.font(round(5 * mm), "DejaVuSerif-Italic.ttf")
        draw.text((25 * mm, y + 3 * mm), template.sender[0], fill=60, font=signature)


def _form(page: Image.Image, template: Template, spec: PageSpec, mm: float) -> None:
    draw = ImageDraw.Draw(page)
    draw.rectangle((20 * mm, 12 * mm, 190 * mm, 30 * mm), outline=40, width=3)
    head = samples.font(round(5 * mm), "DejaVuSans-Bold.ttf")
    draw.text((25 * mm, 15 * mm), f"{CITY} – {template.recipient}", fill=20, font=head)
    bold = samples.font(round(4.2 * mm), "DejaVuSans-Bold.ttf")
    draw.text((25 * mm, 42 * mm), spec.title, fill=10, font=bold)
    label = samples.font(round(2.8 * mm), "DejaVuSansCondensed.ttf")
    value = samples.font(round(4.2 * mm), "DejaVuSans-Oblique.ttf")
    for row, (name, filled) in enumerate(spec.fields):
        top = (58 + 17 * row) * mm
        draw.rectangle((25 * mm, top, 185 * mm, top + 14 * mm), outline=70, width=2)
        draw.text((27 * mm, top + 1 * mm), name, fill=50, font=label)
        draw.text((30 * mm, top + 6.5 * mm), filled, fill=35, font=value)
    note = "Bitte unterschrieben zurücksenden. Der Code unten dient der Zuordnung."
    draw.text((25 * mm, 240 * mm), note, fill=40, font=label)


def _id_copy(page: Image.Image, mm: float) -> None:
    """A copy of both sides of an ID card, enlarged by half as copy shops do."""
    draw = ImageDraw.Draw(page)
    scale = 1.5
    width, height = CARD_MM[0] * scale * mm, CARD_MM[1] * scale * mm
    left, top = 35 * mm, 30 * mm
    front = (left, top, left + width, top + height)
    back = (left, top + height + 20 * mm, left + width, top + 2 * height + 20 * mm)
    for box in (front, back):
        draw.rounded_rectangle(box, radius=round(4 * mm), fill=228, outline=60, width=3)
    text = samples.font(round(4 * mm))
    draw.text(
        (front[0] + 5 * mm, front[1] + 4 * mm), "PERSONALAUSWEIS", fill=20, font=text
    )
    draw.rectangle(
        (front[0] + 6 * mm, front[1] + 18 * mm, front[0] + 40 * mm, front[3] - 8 * mm),
        fill=110,
    )
    for row, line in enumerate(("MUSTERMANN", "ERIKA", "12.08.1964", "DEUTSCH")):
        draw.text(
            (front[0] + 50 * mm, front[1] + (20 + 9 * row) * mm),
            line,
            fill=20,
            font=text,
        )
    mono = samples.font(round(4.6 * mm), MRZ_FONT)
    for row, line in enumerate(td1()):
        draw.text(
            (back[0] + 5 * mm, back[1] + (40 + 9 * row) * mm), line, fill=0, font=mono
        )
    mark = samples.font(round(6 * mm), "DejaVuSans-Bold.ttf")
    draw.text((left, back[3] + 12 * mm), "KOPIE", fill=90, font=mark)
