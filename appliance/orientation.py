"""Page orientation from the text itself, in milliseconds instead of tesseract's OSD
seconds.

On a deskewed page, lines of Latin script make the row projection sharply periodic
(the column projection is not, unless the page lies sideways). Within a line, far
more ink rises above the x-height (capitals, b d f h k l t, umlaut dots) than
hangs below the baseline (g j p q y); upside-down text shows the opposite.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

Array = NDArray[Any]
WORK_DPI = 100
MIN_LINES = 3  # fewer lines of text (a separator sheet) decide nothing
MAX_LINE_MM = 15  # taller bands are pictures, boxes or card copies, not text


def detect(binary: Array, dpi: int) -> tuple[int, float]:
    """``(degrees to rotate clockwise, confidence)``; ``(0, 0.0)`` when undecided.

    ``binary`` is black (0) text on white (255).
    """
    factor = min(1.0, WORK_DPI / dpi)
    small = cv2.resize(binary, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)
    ink = (small < 128).astype(np.float64)
    if ink.sum() < 0.001 * ink.size:
        return 0, 0.0
    sideways = _sharpness(ink.sum(axis=0)) > 1.5 * _sharpness(ink.sum(axis=1))
    if sideways:
        ink = np.rot90(ink, k=-1)  # now upright or upside down
    tallest = round(MAX_LINE_MM * min(dpi, WORK_DPI) / 25.4)
    up, down, lines = _ascenders_and_descenders(ink, tallest)
    if lines < MIN_LINES or up + down == 0:
        return 0, 0.0
    upright = up >= down
    confidence = max(up, down) / max(1.0, min(up, down))
    if sideways:
        return (90 if upright else 270), confidence
    return (0 if upright else 180), confidence


def _sharpness(profile: NDArray[np.float64]) -> float:
    return float(np.square(np.diff(profile)).sum())


def _ascenders_and_descenders(
    ink: NDArray[np.float64], tallest: int
) -> tuple[float, float, int]:
    rows = ink.sum(axis=1)
    is_text = rows > 0.005 * ink.shape[1]
    up = down = 0.0
    lines = 0
    start = None
    for y, flag in enumerate([*is_text.tolist(), False]):
        if flag and start is None:
            start = y
        elif not flag and start is not None:
            line = rows[start:y]
            if 4 <= line.size <= tallest:
                lines += 1
                core = np.flatnonzero(line >= 0.5 * line.max())
                up += float(line[: core[0]].sum())
                down += float(line[core[-1] + 1 :].sum())
            start = None
    return up, down, lines
