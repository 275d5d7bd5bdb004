"""Machine-readable zones (ICAO Doc 9303) found in OCR text.

A copy of an ID card or passport in the mail must never be routed automatically.
The copy is recognised by its machine-readable zone: TD1 (ID cards, 3 lines of 30
characters), TD2 (2 x 36) or TD3 (passports, 2 x 44). Every check digit of the zone
is verified, so a line of ``<`` in a form or a table of codes does not raise a false
alarm. Only the format is reported, never the personal data in the zone.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence

import msgspec

_MRZ_LINE = re.compile(r"^[A-Z0-9<]+$")
_WEIGHTS = (7, 3, 1)


class MrzFormat(enum.StrEnum):
    TD1 = "TD1"
    TD2 = "TD2"
    TD3 = "TD3"


class MrzFinding(msgspec.Struct, kw_only=True, frozen=True):
    """A zone whose check digits all hold; ``line`` is its 1-based first line."""

    format: MrzFormat
    line: int


def char_value(char: str) -> int:
    """ICAO 9303 value of one MRZ character: digits 0-9, A-Z 10-35, ``<`` 0."""
    if char.isdigit():
        return int(char)
    if "A" <= char <= "Z":
        return ord(char) - ord("A") + 10
    if char == "<":
        return 0
    raise ValueError(f"not an MRZ character: {char!r}")


def check_digit(field: str) -> int:
    """The 7-3-1 weighted check digit of ``field``."""
    return sum(char_value(c) * _WEIGHTS[i % 3] for i, c in enumerate(field)) % 10


def _holds(field: str, digit: str, *, optional: bool = False) -> bool:
    # Only an optional field left empty (all fillers) may carry ``<`` as its check
    # digit; document numbers, dates and the composite always have a real one.
    if digit == "<":
        return optional and set(field) <= {"<"}
    return digit.isdigit() and check_digit(field) == int(digit)


def valid_td1(lines: Sequence[str]) -> bool:
    one, two, _ = lines
    return (
        _holds(one[5:14], one[14])
        and _holds(two[0:6], two[6])
        and _holds(two[8:14], two[14])
        and _holds(one[5:30] + two[0:7] + two[8:15] + two[18:29], two[29])
    )


def _valid_td2_td3(second: str, optional_end: int) -> bool:
    composite = second[0:10] + second[13:20] + second[21:optional_end]
    return (
        _holds(second[0:9], second[9])
        and _holds(second[13:19], second[19])
        and _holds(second[21:27], second[27])
        and _holds(composite, second[optional_end])
    )


def valid_td2(lines: Sequence[str]) -> bool:
    return _valid_td2_td3(lines[1], 35)


def valid_td3(lines: Sequence[str]) -> bool:
    second = lines[1]
    return _holds(second[28:42], second[42], optional=True) and _valid_td2_td3(
        second, 43
    )


_SHAPES = (
    (MrzFormat.TD1, 30, 3, valid_td1),
    (MrzFormat.TD2, 36, 2, valid_td2),
    (MrzFormat.TD3, 44, 2, valid_td3),
)


def normalise_line(line: str) -> str:
    """OCR output to MRZ alphabet: no spaces, upper case, guillemets as fillers."""
    return re.sub(r"\s+", "", line).upper().replace("«", "<<").replace("‹", "<")


def find_mrz(text: str) -> list[MrzFinding]:
    """Every machine-readable zone in ``text`` whose check digits are all valid."""
    # OCR often puts a blank line (a new paragraph) between the zone's lines.
    numbered = [
        (number, normalised)
        for number, line in enumerate(text.splitlines(), start=1)
        if (normalised := normalise_line(line))
    ]
    lines = [line for _, line in numbered]
    found: list[MrzFinding] = []
    for index, (number, _) in enumerate(numbered):
        for fmt, width, count, valid in _SHAPES:
            group = lines[index : index + count]
            shaped = len(group) == count and all(_shaped(g, width) for g in group)
            if shaped and valid(group):
                found.append(MrzFinding(format=fmt, line=number))
    return found


def _shaped(line: str, width: int) -> bool:
    return len(line) == width and "<" in line and _MRZ_LINE.match(line) is not None
