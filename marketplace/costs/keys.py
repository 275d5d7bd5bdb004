"""Distribution keys between the Länder, kept as data (``koenigstein.json``).

Shares are published as percentages with five decimals; they are held as exact
integers in units of 1/100,000 percent, so one year's shares sum to 10,000,000.
The file is checked on first use: every Land present once, no share with more than
five decimals, and every year summing to exactly 100 %.
"""

from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation
from functools import cache
from importlib import resources
from typing import Any

from marketplace.costs.schemas import DistributionKey, KeyShare

LAND_ABBREVIATIONS = {
    "01": "SH", "02": "HH", "03": "NI", "04": "HB", "05": "NW", "06": "HE",
    "07": "RP", "08": "BW", "09": "BY", "10": "SL", "11": "BE", "12": "BB",
    "13": "MV", "14": "SN", "15": "ST", "16": "TH",
}  # fmt: skip
UNITS_PER_PERCENT = 100_000
FULL = 100 * UNITS_PER_PERCENT  # 100 % in units of 1/100,000 percent


class KeyDataError(ValueError):
    """The bundled key data is inconsistent (a packaging defect, not user input)."""


@cache
def _raw() -> dict[str, Any]:
    text = resources.files("marketplace.costs").joinpath("koenigstein.json")
    raw: dict[str, Any] = json.loads(text.read_text(encoding="utf-8"))
    return raw


def parse_share(text: str) -> int:
    """``"12.96662"`` (percent) -> 1_296_662; refuses more than five decimals."""
    try:
        units = Decimal(text) * UNITS_PER_PERCENT
    except InvalidOperation as exc:
        raise KeyDataError(f"share {text!r} is not a number") from exc
    if units != units.to_integral_value() or units < 0:
        raise KeyDataError(f"share {text!r} is not a percentage with 5 decimals")
    return int(units)


def validate_year(year: int, shares: dict[str, int]) -> None:
    if set(shares) != set(LAND_ABBREVIATIONS):
        raise KeyDataError(f"Königsteiner Schlüssel {year}: not exactly the 16 Länder")
    if sum(shares.values()) != FULL:
        raise KeyDataError(
            f"Königsteiner Schlüssel {year} sums to {sum(shares.values())}, not {FULL}"
        )


@cache
def koenigstein_years() -> dict[int, dict[str, int]]:
    """year -> Land code -> integer share; validated to sum to exactly 100 %."""
    years: dict[int, dict[str, int]] = {}
    for entry in _raw()["keys"]:
        year = int(entry["year"])
        shares = {code: parse_share(text) for code, text in entry["shares"].items()}
        validate_year(year, shares)
        if year in years:
            raise KeyDataError(f"Königsteiner Schlüssel {year} is listed twice")
        years[year] = shares
    return years


def koenigstein(year: int | None = None) -> tuple[int, dict[str, int]]:
    """The key for ``year`` (None: the newest); raises KeyError for unknown years."""
    years = koenigstein_years()
    chosen = max(years) if year is None else year
    return chosen, years[chosen]


def describe_keys() -> list[DistributionKey]:
    """Every bundled year with its source, shares as the published decimal text."""
    koenigstein_years()  # validate before publishing anything
    raw = _raw()
    return [
        DistributionKey(
            name=raw["name"],
            year=int(entry["year"]),
            source=entry["source"],
            shares=[
                KeyShare(
                    land_code=code,
                    abbreviation=LAND_ABBREVIATIONS[code],
                    share_percent=text,
                )
                for code, text in sorted(entry["shares"].items())
            ],
        )
        for entry in raw["keys"]
    ]
