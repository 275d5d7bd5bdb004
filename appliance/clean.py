"""Cleanup stage (OpenCV): deskew, crop dark scanner borders, fix orientation, detect
blank pages.

The archived image keeps the captured resolution and colour mode; only the copy for
OCR and barcodes is binarised. Measurements are made on a 75 dpi copy, so cleanup
costs a small fraction of OCR time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import cv2
import msgspec
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from appliance import orientation
from appliance.images import frames
from appliance.pages import Page
from appliance.settings import PipelineSettings

Array = NDArray[Any]
WORK_DPI = 75
MAX_SKEW = 6.0


def clean_page(page: Page, settings: PipelineSettings, work_dir: Path) -> Page:
    image = next(frames(Path(page.raw_path), max_megapixels=settings.max_megapixels))
    mode = (
        "1" if image.mode == "1" or settings.profile.mode == "lineart" else image.mode
    )
    pixels: Array = np.asarray(image.convert("L" if mode == "1" else image.mode))
    grey = pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    scale = WORK_DPI / page.dpi
    small = cv2.resize(grey, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    paper = paper_mask(small)
    angle = estimate_skew(np.where(paper > 0, small, 255).astype(np.uint8))
    if abs(angle) >= 0.1:
        pixels, paper = rotate(pixels, angle), rotate(paper, angle, fill=0)
    pixels, cropped = crop_to_paper(pixels, paper, scale)
    grey = pixels if pixels.ndim == 2 else cv2.cvtColor(pixels, cv2.COLOR_RGB2GRAY)
    binary = binarise(
        dropout(pixels, settings.profile.dropout) if pixels.ndim == 3 else grey
    )
    blank = is_blank(grey, page.dpi)
    turn = 0
    if not blank and settings.profile.fix_orientation:
        turn = _orientation(binary, page.dpi)
        if turn:
            pixels, binary = _turn(pixels, turn), _turn(binary, turn)
    archive = _save_archive(pixels, mode, page, settings, work_dir)
    binary_path = work_dir / f"{page.number:04d}_binary.pgm"  # uncompressed: fast
    cv2.imwrite(str(binary_path), binary)
    return msgspec.structs.replace(
        page,
        width=int(pixels.shape[1]),
        height=int(pixels.shape[0]),
        mode=mode,
        archive_path=str(archive),
        binary_path=str(binary_path),
        blank=blank,
        skew_degrees=round(angle, 2),
        rotated_degrees=turn,
        cropped=cropped,
    )


def paper_mask(small: Array) -> Array:
    """255 where the sheet is, 0 on the dark scanner background around it."""
    blurred = cv2.GaussianBlur(small, (5, 5), 0)
    _, bright = cv2.threshold(blurred, 100, 255, cv2.THRESH_BINARY)
    contours, _ = cv2.findContours(bright, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    mask = np.full_like(small, 255)
    if not contours:
        return mask
    largest = max(contours, key=cv2.contourArea)
    if cv2.contourArea(largest) < 0.3 * small.size:
        return mask  # no clear sheet edge: treat the whole image as paper
    mask[:] = 0
    cv2.drawContours(mask, [cv2.convexHull(largest)], -1, 255, thickness=cv2.FILLED)
    return mask


def estimate_skew(small: Array) -> float:
    """Text skew in degrees by maximising the sharpness of the line projection, for
    lines across the page or, on a sheet fed sideways, along it."""
    _, ink = cv2.threshold(small, 0, 1, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    if int(ink.sum()) < 0.002 * ink.size:
        return 0.0
    coarse = np.arange(-MAX_SKEW, MAX_SKEW + 0.01, 1.0)
    across, along = _best_angle(ink, coarse, axis=1), _best_angle(ink, coarse, axis=0)
    axis, (angle, _) = (1, across) if across[1] >= along[1] else (0, along)
    for step in (0.25, 0.1):
        angle = _best_angle(ink, angle + step * np.arange(-3.0, 4.0), axis=axis)[0]
    return angle


def _sharpness(ink: Array, angle: float, *, axis: int) -> float:
    profile = rotate(ink, angle, fill=0).sum(axis=axis, dtype=np.int64)
    return float(np.square(np.diff(profile)).sum())


def _best_angle(ink: Array, angles: NDArray[Any], *, axis: int) -> tuple[float, float]:
    scores = [_sharpness(ink, float(angle), axis=axis) for angle in angles]
    best = int(np.argmax(scores))
    return float(angles[best]), scores[best]


def rotate(pixels: Array, angle: float, *, fill: int = 255) -> Array:
    """Rotate counter-clockwise by ``angle`` degrees about the centre, same size."""
    height, width = pixels.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    border = (fill, fill, fill) if pixels.ndim == 3 else fill
    return cv2.warpAffine(
        pixels, matrix, (width, height), flags=cv2.INTER_LINEAR, borderValue=border
    )


def crop_to_paper(pixels: Array, paper: Array, scale: float) -> tuple[Array, bool]:
    """Cut away the dark background beside the sheet; the sheet's own margin stays."""
    row_cover, col_cover = paper.sum(axis=1), paper.sum(axis=0)
    rows = np.flatnonzero(row_cover >= 0.9 * row_cover.max())
    cols = np.flatnonzero(col_cover >= 0.9 * col_cover.max())
    if rows.size == 0 or cols.size == 0:
        return pixels, False
    if (
        rows[0] == 0
        and cols[0] == 0
        and rows[-1] == paper.shape[0] - 1
        and cols[-1] == paper.shape[1] - 1
    ):
        return pixels, False
    top, bottom = round((rows[0] + 1) / scale), round(rows[-1] / scale)
    left, right = round((cols[0] + 1) / scale), round(cols[-1] / scale)
    return np.ascontiguousarray(pixels[top:bottom, left:right]), True


_CHANNELS = {"red": 0, "green": 1, "blue": 2}


def dropout(rgb: Array, colour: str) -> Array:
    """The grey copy for OCR with one ink colour dropped: a form's red boxes vanish in
    the red channel (red ink is as bright as paper there)."""
    if colour == "none":
        return cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    return np.ascontiguousarray(rgb[:, :, _CHANNELS[colour]])


def binarise(grey: Array) -> Array:
    """Black text on white for OCR: noise smoothed, Otsu threshold. (A median filter
    would also remove i-dots and umlaut dots at 150 dpi.)"""
    smooth = cv2.GaussianBlur(grey, (3, 3), 0)
    _, binary = cv2.threshold(smooth, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return binary


def is_blank(grey: Array, dpi: int) -> bool:
    """Fewer than five glyph-sized dark marks inside the margins, and ink on less
    than a tenth of that area: a blank page.

    Ink is what is clearly darker than the paper, so show-through from the other
    side and scanner noise do not count. The share of ink keeps a page covered by
    one connected pattern (a grid, a dark picture) from being taken for blank.
    """
    height, width = grey.shape
    inner = grey[height // 20 : -height // 20, width // 20 : -width // 20]
    paper_level = float(np.percentile(inner[::4, ::4], 90))
    dark = (inner < paper_level * 0.55).astype(np.uint8)
    ink = cv2.morphologyEx(dark, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    if np.count_nonzero(ink) >= 0.1 * ink.size:
        return False
    _, _, stats, _ = cv2.connectedComponentsWithStats(ink, connectivity=8)
    mm = dpi / 25.4
    tall = stats[1:, cv2.CC_STAT_HEIGHT]
    marks = int(np.count_nonzero((tall >= 1.2 * mm) & (tall <= 60 * mm)))
    return marks < 5


def _orientation(binary: Array, dpi: int) -> int:
    degrees, confidence = orientation.detect(binary, dpi)
    return degrees if confidence >= 1.5 else 0


def _turn(pixels: Array, degrees: int) -> Array:
    codes = {
        90: cv2.ROTATE_90_CLOCKWISE,
        180: cv2.ROTATE_180,
        270: cv2.ROTATE_90_COUNTERCLOCKWISE,
    }
    return cv2.rotate(pixels, codes[degrees])


def _save_archive(
    pixels: Array, mode: str, page: Page, settings: PipelineSettings, work_dir: Path
) -> Path:
    image = Image.fromarray(pixels)
    dpi = (page.dpi, page.dpi)
    quality = settings.profile.jpeg_quality
    if mode == "1":
        path = work_dir / f"{page.number:04d}_archive.tif"
        image.point(lambda v: 255 if v >= 128 else 0).convert("1").save(
            path, compression="group4", dpi=dpi
        )
    elif quality == 0:
        path = work_dir / f"{page.number:04d}_archive.png"
        image.save(path, dpi=dpi, compress_level=6)
    else:
        path = work_dir / f"{page.number:04d}_archive.jpg"
        image.save(path, quality=quality, dpi=dpi, optimize=False)
    return path
