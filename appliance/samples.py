"""Realistic test letters, generated in code (Pillow, DejaVu fonts, zxing-cpp for
barcodes): German text in mixed fonts, a letterhead, a table, a stamp, skew, scanner
noise, dark scanner borders, barcodes of each kind, PATCH T separator sheets and blank
backsides, each with its ground truth. Used by the tests and the benchmark; nothing
is downloaded."""

from __future__ import annotations

import random
from pathlib import Path

import msgspec
import numpy as np
import zxingcpp
from PIL import Image, ImageDraw, ImageFont

from appliance.model import BarcodeFormat

FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONTS = ("DejaVuSans.ttf", "DejaVuSerif.ttf", "DejaVuSansCondensed.ttf")
A4_MM = (210, 297)

SENTENCES = (
    "Sehr geehrte Damen und Herren,",
    "hiermit beantrage ich die Ausstellung einer Meldebescheinigung für meinen Sohn.",
    "Gegen den Bescheid vom 12. März lege ich fristgerecht Widerspruch ein.",
    "Bitte überweisen Sie die Gebühr in Höhe von 25,50 Euro auf das angegebene Konto.",
    "Die Unterlagen zur Baugenehmigung für das Grundstück Müllerstraße 14 liegen bei.",
    "Für Rückfragen stehe ich Ihnen montags bis freitags gern zur Verfügung.",
    "Ich möchte meinen Hund zum 1. Januar bei der Stadtkasse anmelden.",
    "Aufgrund eines Umzugs ändert sich meine Anschrift ab dem kommenden Monat.",
    "Der Antrag auf Wohngeld wurde am 3. Februar persönlich im Bürgerbüro abgegeben.",
    "Wir bitten um Prüfung der beigefügten Rechnung für die Straßenreinigung.",
    "Die Kindertagesstätte Sonnenschein bestätigt den Betreuungsplatz ab August.",
    "Mit freundlichen Grüßen",
)

_ZX = {
    BarcodeFormat.CODE128: zxingcpp.BarcodeFormat.Code128,
    BarcodeFormat.QR: zxingcpp.BarcodeFormat.QRCode,
    BarcodeFormat.DATAMATRIX: zxingcpp.BarcodeFormat.DataMatrix,
    BarcodeFormat.PDF417: zxingcpp.BarcodeFormat.PDF417,
}


class Code(msgspec.Struct, frozen=True):
    format: BarcodeFormat
    text: str


class Truth(msgspec.Struct, kw_only=True, frozen=True):
    """What a generated page really contains."""

    text: str = ""
    codes: list[Code] = []
    blank: bool = False
    separator: bool = False
    skew: float = 0.0


def font(size_px: int, name: str = "DejaVuSans.ttf") -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_DIR / name), size_px)


def blank_sheet(dpi: int) -> Image.Image:
    mm = dpi / 25.4
    return Image.new("L", (round(A4_MM[0] * mm), round(A4_MM[1] * mm)), 250)


def letter(
    seed: int,
    *,
    dpi: int = 300,
    lines: int = 8,
    codes: list[Code] | None = None,
    module_mm: float = 0.4,
) -> tuple[Image.Image, Truth]:
    """A clean letter page (before scanning effects) and its text."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    page = blank_sheet(dpi)
    draw = ImageDraw.Draw(page)
    mm = dpi / 25.4
    face = FONTS[seed % len(FONTS)]
    draw.rectangle(
        (20 * mm, 12 * mm, 190 * mm, 28 * mm), outline=40, width=max(1, round(0.4 * mm))
    )
    draw.text(
        (25 * mm, 15 * mm),
        "Stadtverwaltung Musterstadt",
        fill=20,
        font=font(round(5 * mm), "DejaVuSans-Bold.ttf"),
    )
    body = [rng.choice(SENTENCES[1:-1]) for _ in range(lines)]
    truth_lines = ["Stadtverwaltung Musterstadt", SENTENCES[0], *body, SENTENCES[-1]]
    y = 45 * mm
    size = round(rng.choice((3.4, 3.8, 4.2)) * mm)
    for text in truth_lines[1:]:
        draw.text((25 * mm, y), text, fill=rng.randint(0, 40), font=font(size, face))
        y += size * 1.6
    _table(draw, mm, y + 4 * mm)
    _stamp(page, mm, rng)
    for i, code in enumerate(codes or []):
        _paste_code(page, code, mm, module_mm, slot=i)
    return page, Truth(text="\n".join(truth_lines), codes=list(codes or []))


def _table(draw: ImageDraw.ImageDraw, mm: float, top: float) -> None:
    small = font(round(3 * mm))
    for row in range(3):
        for col in range(3):
            box = (
                25 * mm + col * 50 * mm,
                top + row * 7 * mm,
                75 * mm + col * 50 * mm,
                top + (row + 1) * 7 * mm,
            )
            draw.rectangle(box, outline=60, width=max(1, round(0.25 * mm)))
            draw.text(
                (box[0] + 2 * mm, box[1] + 1.5 * mm),
                f"Posten {row * 3 + col + 1}",
                fill=30,
                font=small,
            )


def _stamp(page: Image.Image, mm: float, rng: random.Random) -> None:
    stamp = Image.new("L", (round(45 * mm), round(18 * mm)), 255)
    draw = ImageDraw.Draw(stamp)
    draw.rounded_rectangle(
        (1, 1, stamp.width - 2, stamp.height - 2),
        radius=round(3 * mm),
        outline=120,
        width=round(0.6 * mm),
    )
    draw.text(
        (4 * mm, 5 * mm),
        "EINGEGANGEN",
        fill=120,
        font=font(round(5 * mm), "DejaVuSans-Bold.ttf"),
    )
    stamp = stamp.rotate(rng.uniform(-12, 12), expand=True, fillcolor=255)
    mask = stamp.point(lambda v: 255 if v < 200 else 0)
    page.paste(stamp, (round(140 * mm), round(230 * mm)), mask)


def code_image(code: Code, mm: float, module_mm: float) -> Image.Image:
    barcode = zxingcpp.create_barcode(code.text, _ZX[code.format])
    raw = Image.fromarray(np.asarray(zxingcpp.write_barcode_to_image(barcode, scale=1)))
    factor = max(1, round(module_mm * mm))
    return raw.resize(
        (raw.width * factor, raw.height * factor), Image.Resampling.NEAREST
    )


def _paste_code(
    page: Image.Image, code: Code, mm: float, module_mm: float, slot: int
) -> None:
    image = code_image(code, mm, module_mm)
    x = round((120 if slot % 2 else 25) * mm)
    y = round((250 - 40 * (slot // 2)) * mm) - image.height
    page.paste(image, (x, max(0, y)))


def separator_sheet(
    dpi: int = 300, *, patch: bool = True, code: bool = True
) -> tuple[Image.Image, Truth]:
    """A Trennblatt: the word, a Code 128 ``TRENNBLATT`` and a PATCH T."""
    page = blank_sheet(dpi)
    draw = ImageDraw.Draw(page)
    mm = dpi / 25.4
    draw.text(
        (60 * mm, 40 * mm),
        "TRENNBLATT",
        fill=0,
        font=font(round(12 * mm), "DejaVuSans-Bold.ttf"),
    )
    codes = []
    if code:
        page.paste(
            code_image(Code(BarcodeFormat.CODE128, "TRENNBLATT"), mm, 0.4),
            (round(60 * mm), round(70 * mm)),
        )
        codes.append(Code(BarcodeFormat.CODE128, "TRENNBLATT"))
    if patch:
        x = 30 * mm
        for width, black in ((2, 1), (2, 0), (5, 1), (2, 0), (2, 1), (2, 0), (5, 1)):
            if black:
                draw.rectangle((x, 120 * mm, x + width * mm - 1, 200 * mm), fill=0)
            x += width * mm
    return page, Truth(text="TRENNBLATT", codes=codes, separator=True)


def scan(
    page: Image.Image,
    seed: int,
    *,
    skew: float = 0.0,
    noise: float = 6.0,
    border_mm: float = 0.0,
    contrast: float = 1.0,
    show_through: bool = False,
) -> Image.Image:
    """What a scanner makes of a sheet: rotation, dark border, low contrast, noise."""
    rng = np.random.default_rng(seed)
    dpi_mm = page.width / A4_MM[0]
    if border_mm:
        pad = round(border_mm * dpi_mm)
        mask = Image.new("L", page.size, 255).rotate(skew, expand=True, fillcolor=0)
        turned = page.rotate(
            skew, resample=Image.Resampling.BILINEAR, expand=True, fillcolor=25
        )
        sheet = Image.new("L", (turned.width + 2 * pad, turned.height + 2 * pad), 25)
        sheet.paste(turned, (pad, pad), mask)
    else:
        sheet = page.rotate(skew, resample=Image.Resampling.BILINEAR, fillcolor=250)
    pixels = np.asarray(sheet, dtype=np.float32)
    pixels = 255 - (255 - pixels) * contrast
    if show_through:
        pixels -= 18 * (
            np.asarray(
                page.transpose(Image.Transpose.FLIP_LEFT_RIGHT).resize(sheet.size),
                dtype=np.float32,
            )
            < 128
        )
    pixels += rng.standard_normal(pixels.shape, dtype=np.float32) * noise
    speckles = rng.random(pixels.shape) < 0.0005
    pixels[speckles] = 40
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L")


def save(image: Image.Image, path: Path, dpi: int) -> Path:
    image.save(path, dpi=(dpi, dpi), compress_level=1)
    return path
