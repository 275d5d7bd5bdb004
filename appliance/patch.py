"""The Kodak PATCH T (transfer patch) separator: four parallel bars, narrow-wide-
narrow-wide (2 mm and 5 mm, 2 mm gaps, 20 mm in all, at least 19 mm long).

Scan lines 1 mm apart are checked for that run pattern, across and along the page and
in both reading directions (a sheet may be fed upside down or sideways; like every
reader that does not know the feed direction, this takes a reversed Patch 3 for a
PATCH T). A patch is found where enough consecutive lines agree on its position.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[Any]
NARROW = (1.3, 3.0)  # mm, generous for print gain and skew
WIDE = (3.8, 6.5)
MIN_LENGTH_MM = 15
QUIET_MM = 2.5


def find_patch_t(grey: Array, dpi: int) -> bool:
    ink = grey < 128
    return _bars_across(ink, dpi) or _bars_across(ink.T, dpi)


def _bars_across(ink: NDArray[np.bool_], dpi: int) -> bool:
    """Vertical bars, found by horizontal scan lines (1 mm apart)."""
    mm = dpi / 25.4
    step = max(1, round(mm))
    hits: list[int | None] = [
        _match_line(ink[row], mm) for row in range(0, ink.shape[0], step)
    ]
    run, last = 0, None
    for start in hits:
        if start is not None and (last is None or abs(start - last) <= 3 * mm):
            run += 1
            if run >= MIN_LENGTH_MM:
                return True
        else:
            run = 0 if start is None else 1
        last = start
    return False


def _match_line(line: NDArray[np.bool_], mm: float) -> int | None:
    """Start of a N-W-N-W bar group with a clear quiet zone on both sides."""
    edges = np.flatnonzero(np.diff(line.astype(np.int8)))
    if edges.size < 8:
        return None
    bounds = np.concatenate(([0], edges + 1, [line.size]))
    widths = np.concatenate(([99.0], np.diff(bounds) / mm, [99.0]))
    first_black = 1 if line[0] else 2  # index in ``widths`` of the first black run
    starts = np.arange(first_black, widths.size - 7, 2)
    if starts.size == 0:
        return None
    runs = np.lib.stride_tricks.sliding_window_view(widths, 9)[starts - 1]
    quiet = (runs[:, 0] >= QUIET_MM) & (runs[:, 8] >= QUIET_MM)
    forward = _fits(runs, narrow=[1, 2, 4, 5, 6], wide=[3, 7])  # N W N W
    backward = _fits(runs, narrow=[2, 3, 4, 6, 7], wide=[1, 5])  # W N W N, upside down
    ok = quiet & (forward | backward)
    hits = np.flatnonzero(ok)
    return int(bounds[starts[hits[0]] - 1]) if hits.size else None


def _fits(
    runs: NDArray[np.float64], *, narrow: list[int], wide: list[int]
) -> NDArray[np.bool_]:
    n, w = runs[:, narrow], runs[:, wide]
    narrow_ok = ((n >= NARROW[0]) & (n <= NARROW[1])).all(axis=1)
    wide_ok = ((w >= WIDE[0]) & (w <= WIDE[1])).all(axis=1)
    return np.asarray(narrow_ok & wide_ok, dtype=np.bool_)
