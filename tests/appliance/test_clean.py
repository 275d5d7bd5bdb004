"""Cleanup with OpenCV on generated scans: deskew, border crop, orientation, blank
pages; the archived image keeps its resolution and colour mode."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from appliance import orientation, samples
from appliance.clean import clean_page
from appliance.pages import Page
from appliance.settings import PipelineSettings, ScanProfile
from tests.appliance.letters import blank_file, letter_file

SETTINGS = PipelineSettings(profile=ScanProfile(resolution=150))


def _page(path: Path, dpi: int = 150) -> Page:
    return Page(number=1, source=path.name, raw_path=str(path), raw_sha256="", dpi=dpi)


@pytest.mark.parametrize("skew", [-4.5, -2.0, 1.3, 5.0])
def test_skew_is_measured_and_corrected(tmp_path: Path, skew: float) -> None:
    """GIVEN a letter scanned with a known skew
    WHEN it is cleaned
    THEN the measured correction is the skew within 0.3 degrees."""
    cleaned = clean_page(_page(letter_file(tmp_path, 1, skew=skew)), SETTINGS, tmp_path)
    assert cleaned.skew_degrees == pytest.approx(-skew, abs=0.3)


def test_dark_scanner_border_is_cropped_and_paper_margin_kept(tmp_path: Path) -> None:
    """GIVEN a skewed letter on a dark 8 mm scanner background
    WHEN it is cleaned
    THEN the archived image is about the size of the A4 sheet, not of the scan, and its
    edges are paper-white, not scanner-black."""
    raw = letter_file(tmp_path, 2, skew=2.0, border_mm=8)
    cleaned = clean_page(_page(raw), SETTINGS, tmp_path)
    with Image.open(cleaned.archive_path) as opened:
        archive = opened.convert("L")
    mm = 150 / 25.4
    assert cleaned.cropped
    assert abs(archive.width - 210 * mm) < 6 * mm
    assert abs(archive.height - 297 * mm) < 6 * mm
    pixels = np.asarray(archive)
    for edge in (pixels[:5], pixels[-5:], pixels[:, :5], pixels[:, -5:]):
        assert edge.mean() > 180


def test_archive_keeps_resolution_and_colour(tmp_path: Path) -> None:
    """GIVEN a colour scan at 200 dpi
    WHEN it is cleaned
    THEN the archived image is colour, at 200 dpi, full size; only the OCR copy is
    binary."""
    page, _ = samples.letter(3, dpi=200, lines=3)
    raw = tmp_path / "letter-colour-200dpi.png"
    page.convert("RGB").save(raw, dpi=(200, 200))
    cleaned = clean_page(_page(raw, 200), SETTINGS, tmp_path)
    with Image.open(cleaned.archive_path) as archive:
        assert archive.mode == "RGB"
        assert archive.size == page.size
        assert round(archive.info["dpi"][0]) == 200
    with Image.open(cleaned.binary_path) as binary:
        assert set(np.unique(np.asarray(binary.convert("L")))) <= {0, 255}


@pytest.mark.parametrize(("turned", "fix"), [(180, 180), (90, 270), (270, 90)])
def test_orientation_is_fixed(tmp_path: Path, turned: int, fix: int) -> None:
    """GIVEN a letter fed upside down or sideways
    WHEN it is cleaned
    THEN it is turned upright (the correction is the opposite turn)."""
    raw = letter_file(tmp_path, 4, lines=6)
    with Image.open(raw) as upright:
        turned_image = upright.rotate(-turned, expand=True)
    turned_image.save(raw, dpi=(150, 150))
    cleaned = clean_page(_page(raw), SETTINGS, tmp_path)
    assert cleaned.rotated_degrees == fix
    assert orientation.detect(cv2.imread(cleaned.binary_path, 0), 150)[0] == 0


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_blank_backsides_with_noise_and_show_through_are_blank(
    tmp_path: Path, seed: int
) -> None:
    """GIVEN empty backsides with scanner noise, speckles and show-through
    WHEN they are cleaned
    THEN they are detected as blank."""
    assert clean_page(_page(blank_file(tmp_path, seed)), SETTINGS, tmp_path).blank


def test_a_page_with_one_short_line_is_not_blank(tmp_path: Path) -> None:
    """GIVEN a page carrying nothing but a single short handwritten-size line
    WHEN it is cleaned
    THEN it is not taken for blank."""
    sheet = samples.blank_sheet(150)
    ImageDraw.Draw(sheet).text(
        (200, 600), "Einverstanden, Müller", fill=0, font=samples.font(25)
    )
    raw = tmp_path / "one-short-line.png"
    samples.scan(sheet, 8).save(raw, dpi=(150, 150))
    assert not clean_page(_page(raw), SETTINGS, tmp_path).blank


def test_a_page_covered_by_a_checkerboard_is_not_blank(tmp_path: Path) -> None:
    """GIVEN a page covered edge to edge by a checkerboard of 10 mm squares (what
    the SANE test device's "Grid" picture delivers; its black squares touch at the
    corners, so they form one mark taller than any glyph)
    WHEN it is cleaned
    THEN it is not taken for blank and dropped: half of it is ink."""
    mm = 150 / 25.4
    y, x = np.mgrid[0 : round(200 * mm), 0 : round(200 * mm)]
    board = np.where(((x // round(10 * mm)) + (y // round(10 * mm))) % 2, 255, 0)
    raw = tmp_path / "checkerboard-10mm-150dpi.png"
    Image.fromarray(board.astype(np.uint8)).save(raw, dpi=(150, 150))
    assert not clean_page(_page(raw), SETTINGS, tmp_path).blank


def test_lineart_profile_archives_one_bit_g4(tmp_path: Path) -> None:
    """GIVEN the line-art profile
    WHEN a grey scan is cleaned
    THEN the archive is a 1-bit CCITT G4 TIFF."""
    settings = PipelineSettings(profile=ScanProfile(resolution=150, mode="lineart"))
    cleaned = clean_page(_page(letter_file(tmp_path, 9)), settings, tmp_path)
    with Image.open(cleaned.archive_path) as archive:
        assert (archive.mode, archive.info["compression"]) == ("1", "group4")


def test_colour_dropout_removes_red_form_lines_from_the_ocr_copy(
    tmp_path: Path,
) -> None:
    """GIVEN a colour scan with black text inside red form boxes
    WHEN it is cleaned with and without red dropout
    THEN the red boxes are ink in the OCR copy without dropout and gone with it, while
    the black text stays and the archive keeps the red."""
    page = Image.new("RGB", (1240, 1754), (250, 250, 250))
    draw = ImageDraw.Draw(page)
    for row in range(12):
        top = 200 + row * 110
        draw.rectangle((100, top, 1140, top + 80), outline=(220, 30, 30), width=6)
        draw.text(
            (130, top + 20),
            f"Feld {row}: Antrag auf Wohngeld",
            fill=(0, 0, 0),
            font=samples.font(36),
        )
    raw = tmp_path / "form-red-boxes-150dpi.png"
    page.save(raw, dpi=(150, 150))

    def ink_at_box_edge(dropout: str) -> float:
        settings = PipelineSettings(
            profile=ScanProfile(resolution=150, dropout=dropout)
        )  # type: ignore[arg-type]
        cleaned = clean_page(_page(raw), settings, tmp_path)
        binary = cv2.imread(cleaned.binary_path, 0)
        with Image.open(cleaned.archive_path) as archive:
            assert archive.mode == "RGB"
        left_edges = binary[250:1400, 95:115]
        text = binary[220:1500, 130:700]
        assert (text == 0).mean() > 0.01
        return float((left_edges == 0).mean())

    assert ink_at_box_edge("none") > 0.1
    assert ink_at_box_edge("red") < 0.01
