"""Cost rules: validating a cost model and pricing it for a municipality.

A ``Quoter`` loads once what splitting a Land's part needs for one municipality
(the populations it is split among) and then prices any number of cost models
cheaply, so the catalog search can show "what would this cost us" beside every hit.

How a Land-level total reaches a municipality: it is split across the Länder by
the Königsteiner Schlüssel, the Land's part across its Kreis-level units
(Stadtstaat, kreisfreie Städte, Landkreise; Gemeinden whose Landkreis is not in
the catalog count as units of their own) by population, and a Landkreis's part
across its Gemeinden by population. Inhabitants of units not in the catalog are
one "rest" entry, so shares never depend on how complete the catalog is and no
inhabitant is counted twice.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any
from weakref import WeakKeyDictionary

from marketplace.costs import calculator, repository
from marketplace.costs.calculator import LandSplit
from marketplace.costs.keys import koenigstein_years
from marketplace.costs.schemas import (
    CostModel,
    LandShare,
    PerCase,
    Quote,
    QuoteRequest,
)
from marketplace.db import Connection, Database
from marketplace.errors import InvalidInput, NotFound

REFERENCE_POPULATION = 100_000
# Destatis, population of Germany on 31.12.2023; used only when no Länder are loaded.
GERMANY_POPULATION = 84_669_326
_REST = "_rest"


Chain = list[tuple[Sequence[tuple[str, int]], str]]


QUOTES_KEPT = 8192  # per reader connection: about 600 bytes each


class _Known:
    """What is remembered for one connection while its data state holds: the
    splitting levels and each municipality's ``Quoter`` (``entries``), and the
    quotes of published versions by (AGS, version id)."""

    def __init__(self, state: tuple[int, int]) -> None:
        self.state = state
        self.entries: dict[tuple[str, str], Any] = {}
        self.quotes: OrderedDict[tuple[str | None, int], Quote] = OrderedDict()


class _Memo:
    """What splitting needs (a Land's units, a Landkreis's Gemeinden, each
    municipality's chain) and the quotes priced from it, remembered per connection
    for as long as the database has not changed (``repository.data_state``), so a
    repeated quote costs one small query instead of scanning a Land's Gemeinden.
    Exact: any commit, by any connection, or any write on this one starts afresh
    (on PostgreSQL the state changes with every read, so nothing is reused)."""

    def __init__(self) -> None:
        self._seen: WeakKeyDictionary[Connection, _Known] = WeakKeyDictionary()

    async def valid(self, conn: Connection) -> _Known:
        """The entries still valid for ``conn`` (emptied if the data changed)."""
        state = await repository.data_state(conn)
        known = self._seen.get(conn)
        if known is None or known.state != state:
            known = self._seen[conn] = _Known(state)
        return known


_memo = _Memo()


class Quoter:
    """Prices cost models for one (real or reference) municipality."""

    def __init__(
        self,
        *,
        ags: str | None,
        population: int,
        split: LandSplit,
        quotes: OrderedDict[tuple[str | None, int], Quote] | None = None,
    ):
        self.ags = ags
        self.population = population
        self._split = split
        self._quotes = quotes

    @classmethod
    async def for_municipality(cls, conn: Connection, ags: str) -> Quoter:
        """The municipality's quoter; the same one (with what its split and
        quotes remembered) while the data it was built from holds."""
        known = await _memo.valid(conn)
        quoter: Quoter | None = known.entries.get(("ags", ags))
        if quoter is None:
            found = await repository.municipality(conn, ags)
            if found is None:
                raise NotFound(
                    f"Die Kommune mit dem Gemeindeschlüssel {ags} ist unbekannt."
                )
            kind, land_code, population, land_population = found
            entries = known.entries
            chain = await _chain(conn, entries, ags, kind, land_code, land_population)
            split = LandSplit(land_code=land_code, chain=chain)
            quoter = cls(
                ags=ags, population=population, split=split, quotes=known.quotes
            )
            entries[("ags", ags)] = quoter
        return quoter

    @classmethod
    async def for_reference(
        cls, conn: Connection, population: int = REFERENCE_POPULATION
    ) -> Quoter:
        country = await repository.country_population(conn) or GERMANY_POPULATION
        weights = _with_rest([("reference", population)], max(country, population))
        split = LandSplit(land_code=None, chain=[(weights, "reference")])
        return cls(ags=None, population=population, split=split)

    def quote(self, model: CostModel, *, expected_cases: int | None = None) -> Quote:
        return calculator.quote(
            model,
            ags=self.ags,
            population=self.population,
            expected_cases=expected_cases,
            land_split=self._split,
        )

    def quote_version(self, version_id: int, model: CostModel) -> Quote:
        """The quote for a published version, whose ``model`` is given (a
        published version never changes, so its quote is kept by id for as long
        as the municipalities' data holds; the least recently used go first)."""
        if self._quotes is None:
            return self.quote(model)
        key = (self.ags, version_id)
        found = self._quotes.get(key)
        if found is None:
            found = self._quotes[key] = self.quote(model)
            if len(self._quotes) > QUOTES_KEPT:
                self._quotes.popitem(last=False)
        else:
            self._quotes.move_to_end(key)
        return found


def validate_cost_model(model: CostModel) -> CostModel:
    """Rules the wire type cannot express; German errors naming the component."""
    for component in model.components:
        if isinstance(component, PerCase):
            _validate_tiers(component)
        if isinstance(component, LandShare):
            _validate_key_year(component)
    return model


def _validate_key_year(component: LandShare) -> None:
    years = koenigstein_years()
    if component.key_year is not None and component.key_year not in years:
        known = ", ".join(str(year) for year in sorted(years))
        raise InvalidInput(
            f"Für {component.key_year} liegt kein Königsteiner Schlüssel vor "
            f"(vorhanden: {known})."
        )


def _validate_tiers(component: PerCase) -> None:
    bounds = [tier.up_to for tier in component.tiers]
    if bounds[-1] is not None:
        raise InvalidInput(
            f"„{component.label}“: die letzte Fallzahl-Staffel muss offen sein "
            "(ohne Obergrenze)."
        )
    closed = [bound for bound in bounds[:-1] if bound is not None]
    if len(closed) != len(bounds) - 1 or closed != sorted(set(closed)):
        raise InvalidInput(
            f"„{component.label}“: die Obergrenzen der Staffeln müssen aufsteigen "
            "und nur die letzte Staffel darf offen sein."
        )


async def _chain(
    conn: Connection,
    entries: dict[tuple[str, str], Any],
    ags: str,
    kind: str,
    land_code: str,
    land_total: int,
) -> Chain:
    """The levels a Land's part passes to reach ``ags``; levels shared by many
    municipalities are built once per valid memo."""
    level_one: list[tuple[str, int]] | None = entries.get(("land", land_code))
    if level_one is None:
        units = await repository.land_units(conn, land_code)
        level_one = entries[("land", land_code)] = _with_rest(units, land_total)
    kreis_ags = ags[:5] + "000"
    if kind != "gemeinde" or any(unit == ags for unit, _ in level_one):
        return [(level_one, ags)]
    level_two: list[tuple[str, int]] | None = entries.get(("kreis", kreis_ags))
    if level_two is None:
        gemeinden = await repository.kreis_gemeinden(conn, kreis_ags)
        kreis_population = dict(level_one)[kreis_ags]
        level_two = entries[("kreis", kreis_ags)] = _with_rest(
            gemeinden, kreis_population
        )
    return [(level_one, kreis_ags), (level_two, ags)]


def _with_rest(weights: list[tuple[str, int]], whole: int) -> list[tuple[str, int]]:
    """Add the inhabitants not covered by ``weights`` as one rest entry. When no
    populations are known at all (every weight zero), the parts are equal."""
    rest = whole - sum(weight for _, weight in weights)
    complete = [*weights, (_REST, rest)] if rest > 0 else list(weights)
    if not any(weight for _, weight in complete):
        return [(key, 1) for key, _ in complete]
    return complete


async def quote_offer_version(
    db: Database, version_id: int, ags: str, expected_cases: int | None
) -> Quote:
    """Price a published offer version for a municipality."""
    async with db.read() as conn:
        model = await repository.published_cost_model(conn, version_id)
        if model is None:
            raise NotFound(f"Die Angebotsversion {version_id} gibt es nicht.")
        quoter = await Quoter.for_municipality(conn, ags)
    if expected_cases is None:
        return quoter.quote_version(version_id, validate_cost_model(model))
    return quoter.quote(validate_cost_model(model), expected_cases=expected_cases)


async def quote_model(db: Database, request: QuoteRequest) -> Quote:
    """Price an ad-hoc cost model (validated first) for a municipality."""
    model = validate_cost_model(request.cost_model)
    async with db.read() as conn:
        quoter = await Quoter.for_municipality(conn, request.ags)
    return quoter.quote(model, expected_cases=request.expected_cases)
