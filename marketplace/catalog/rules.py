"""Catalog rules that need no database: identifiers, their consistency, and the
bounds of a search. Each refusal is a German ``InvalidInput`` naming the fix."""

from __future__ import annotations

from marketplace.catalog import search
from marketplace.catalog.schemas import (
    MUNICIPALITY_KIND_LABELS,
    MunicipalityIn,
    MunicipalityKind,
    SearchQuery,
)
from marketplace.errors import InvalidInput

MAX_PER_PAGE = 100
MAX_RESULTS = 10_000

LAND_NAMES = {
    "01": "Schleswig-Holstein", "02": "Hamburg", "03": "Niedersachsen",
    "04": "Bremen", "05": "Nordrhein-Westfalen", "06": "Hessen",
    "07": "Rheinland-Pfalz", "08": "Baden-Württemberg", "09": "Bayern",
    "10": "Saarland", "11": "Berlin", "12": "Brandenburg",
    "13": "Mecklenburg-Vorpommern", "14": "Sachsen", "15": "Sachsen-Anhalt",
    "16": "Thüringen",
}  # fmt: skip


def validate_ags(ags: str) -> None:
    """8 digits whose first two name one of the 16 Länder."""
    if len(ags) != 8 or not ags.isdigit():
        raise InvalidInput(f"„{ags}“ ist kein Gemeindeschlüssel (8 Ziffern).")
    if ags[:2] not in LAND_NAMES:
        raise InvalidInput(
            f"Der Gemeindeschlüssel {ags} beginnt nicht mit einer Landesnummer 01–16."
        )


def validate_municipality(data: MunicipalityIn) -> None:
    """The AGS is well formed, belongs to the Land named, and fits the kind:
    a Stadtstaat is ``LL000000``, a Kreis-level unit ends in ``000`` (Gemeinde
    part zero), a Gemeinde does not."""
    validate_ags(data.ags)
    if data.land_code is not None and data.land_code != data.ags[:2]:
        raise InvalidInput(
            f"Der Gemeindeschlüssel {data.ags} gehört zu "
            f"{LAND_NAMES[data.ags[:2]]} ({data.ags[:2]}), nicht zu "
            f"{LAND_NAMES.get(data.land_code, data.land_code)} ({data.land_code})."
        )
    kreis_level = data.ags.endswith("000")
    state_level = data.ags.endswith("000000")
    rules = {
        MunicipalityKind.STADTSTAAT: (state_level, "auf 000000 enden"),
        MunicipalityKind.KREISFREIE_STADT: (
            kreis_level and not state_level,
            "auf 000 enden (Kreisebene)",
        ),
        MunicipalityKind.LANDKREIS: (
            kreis_level and not state_level,
            "auf 000 enden (Kreisebene)",
        ),
        MunicipalityKind.GEMEINDE: (not kreis_level, "nicht auf 000 enden"),
    }
    fits, expected = rules[data.kind]
    if not fits:
        raise InvalidInput(
            f"Der Gemeindeschlüssel {data.ags} passt nicht zur Art "
            f"„{MUNICIPALITY_KIND_LABELS[data.kind]}“: er muss {expected}."
        )


def check_query(query: SearchQuery) -> None:
    if query.price_band is not None and query.price_band not in search.PRICE_BANDS:
        known = ", ".join(search.PRICE_BANDS)
        raise InvalidInput(
            f"Die Preisklasse „{query.price_band}“ gibt es nicht (möglich: {known})."
        )
    if not 1 <= query.per_page <= MAX_PER_PAGE or query.page < 1:
        raise InvalidInput(
            f"Seite ab 1 und 1 bis {MAX_PER_PAGE} Treffer je Seite, bitte."
        )
    if query.page * query.per_page > MAX_RESULTS:
        raise InvalidInput(
            f"Es werden höchstens die ersten {MAX_RESULTS} Treffer geblättert; "
            "bitte grenzen Sie die Suche ein."
        )
