"""Sample files for the tests, generated in code and named for their defect
(``letter-skewed-3deg-150dpi.png``)."""

from __future__ import annotations

from pathlib import Path

from appliance import samples
from appliance.model import BarcodeFormat
from appliance.samples import Code


def letter_file(
    folder: Path,
    seed: int,
    *,
    dpi: int = 150,
    skew: float = 0.0,
    border_mm: float = 0.0,
    codes: list[Code] | None = None,
    lines: int = 4,
    module_mm: float = 0.5,
) -> Path:
    page, _ = samples.letter(
        seed, dpi=dpi, lines=lines, codes=codes, module_mm=module_mm
    )
    image = samples.scan(page, seed, skew=skew, border_mm=border_mm)
    name = f"letter{seed}-skewed-{skew:g}deg-border-{border_mm:g}mm-{dpi}dpi.png"
    return samples.save(image, folder / name, dpi)


def blank_file(
    folder: Path, seed: int, *, dpi: int = 150, show_through: bool = True
) -> Path:
    image = samples.scan(samples.blank_sheet(dpi), seed, show_through=show_through)
    return samples.save(image, folder / f"blank{seed}-noisy-{dpi}dpi.png", dpi)


def separator_file(
    folder: Path, seed: int, *, dpi: int = 150, patch: bool = True, code: bool = True
) -> Path:
    page, _ = samples.separator_sheet(dpi, patch=patch, code=code)
    image = samples.scan(page, seed, skew=0.8)
    kind = (
        "patch-t" if patch and not code else "code128" if code and not patch else "both"
    )
    return samples.save(image, folder / f"separator{seed}-{kind}-{dpi}dpi.png", dpi)


FILE_REFERENCE = Code(BarcodeFormat.QR, "AZ-32.1/2024-0815")
ARCHIVE_SERIAL = Code(BarcodeFormat.CODE128, "ASN0004711")
