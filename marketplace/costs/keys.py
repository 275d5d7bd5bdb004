"""Distribution keys between the Länder, kept as data (``koenigstein.json``).

Shares are published as percentages with five decimals; they are held as exact
integers in units of 1/100,000 percent, so one year's shares sum to 10,000,000.
"""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from importlib import resources

from marketplace.costs.schemas import DistributionKey, KeyShare

LAND_ABBREVIATIONS = {
    "01": "SH", "02": "HH", "03": "NI", "04": "HB", "05": "NW", "06": "HE",
    "07": "RP", "08": "BW", "09": "BY", "10": "SL", "11": "BE", "12": "BB",
    "13": "MV", "14": "SN", "15": "ST", "16": "TH",
}  # fmt: skip
FULL = 10_000_000  # 100 % in units of 1/100,000 percent


class KeyDataError(ValueError):
    """The bundled key data is inconsistent (a packaging defect, not user input)."""


@cache
def koenigstein_years() -> dict[int, dict[str, int]]:
    """year -> Land code -> integer share; validated to sum to exactly 100 %."""
    raw = json.loads(
        resources.files("marketplace.costs").joinpath("koenigstein.json").read_text()
    )
    years: dict[int, dict[str, int]] = {}
    for entry in raw["keys"]:
        shares = {
            code: int(Decimal(text) * 100_000) for code, text in entry["shares"].items()
        }
        if set(shares) != set(LAND_ABBREVIATIONS) or sum(shares.values()) != FULL:
            raise KeyDataError(f"Königsteiner Schlüssel {entry['year']} is incomplete")
        years[int(entry["year"])] = shares
    return years


def koenigstein(year: int | None = None) -> tuple[int, dict[str, int]]:
    """The key for ``year`` (None: the newest); raises KeyError for unknown years."""
    years = koenigstein_years()
    chosen = max(years) if year is None else year
    return chosen, years[chosen]


def describe_keys() -> list[DistributionKey]:
    raw = json.loads(
        resources.files("marketplace.costs").joinpath("koenigstein.json").read_text()
    )
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
