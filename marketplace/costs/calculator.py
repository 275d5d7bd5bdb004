"""The pure cost calculator: integer cents in, integer cents out, no I/O.

Splitting a total uses the largest remainder method: every part is first rounded
down, then the cents still missing go one each to the parts with the largest
remainders (ties: the earlier key). The parts always add up exactly to the total.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from marketplace.costs.keys import koenigstein
from marketplace.costs.schemas import (
    AnnualFlatFee,
    CaseTier,
    Component,
    CostModel,
    LandShare,
    OneOffFee,
    PerCase,
    PerInhabitant,
    Quote,
    QuoteItem,
)


def split_exact(total: int, weights: Sequence[tuple[str, int]]) -> dict[str, int]:
    """Split ``total`` cents by integer ``weights`` (key, weight) so that the parts
    add up to exactly ``total``. All-zero weights give everything to nobody (zeros),
    which callers must avoid for a non-zero total."""
    if total < 0:
        raise ValueError("cannot split a negative total")
    weight_sum = sum(weight for _, weight in weights)
    if weight_sum <= 0:
        if total:
            raise ValueError("cannot split a non-zero total with no weights")
        return {key: 0 for key, _ in weights}
    parts: dict[str, int] = {}
    remainders: list[tuple[int, int, str]] = []
    for index, (key, weight) in enumerate(weights):
        if weight < 0:
            raise ValueError(f"negative weight for {key}")
        quotient, remainder = divmod(total * weight, weight_sum)
        parts[key] = quotient
        remainders.append((-remainder, index, key))
    missing = total - sum(parts.values())
    for _, _, key in sorted(remainders)[:missing]:
        parts[key] += 1
    return parts


def share_of(total: int, weights: Sequence[tuple[str, int]], key: str) -> int:
    """``split_exact(total, weights)[key]`` in one pass without sorting: the part's
    floor, plus one cent when its remainder ranks among the cents still missing."""
    if total < 0:
        raise ValueError("cannot split a negative total")
    weight_sum = sum(weight for _, weight in weights)
    if weight_sum <= 0:
        if total:
            raise ValueError("cannot split a non-zero total with no weights")
        return 0
    floors = 0
    mine: tuple[int, int] | None = None
    remainders: list[int] = []
    for index, (name, weight) in enumerate(weights):
        if weight < 0:
            raise ValueError(f"negative weight for {name}")
        quotient, remainder = divmod(total * weight, weight_sum)
        floors += quotient
        remainders.append(remainder)
        if name == key and mine is None:
            mine = (index, quotient)
    if mine is None:
        raise KeyError(key)
    index, quotient = mine
    own = remainders[index]
    ahead = sum(1 for r in remainders[:index] if r >= own) + sum(
        1 for r in remainders[index + 1 :] if r > own
    )
    return quotient + (1 if ahead < total - floors else 0)


def round_div(numerator: int, denominator: int) -> int:
    """Round half up for non-negative integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def case_tiers_used(tiers: Sequence[CaseTier], cases: int) -> list[tuple[int, int]]:
    """(number of cases, cents per case) for each tier the cases reach, in order.
    Cases beyond the last bounded tier are priced at the last tier's rate
    (validation requires an open last tier)."""
    used: list[tuple[int, int]] = []
    lower = 0
    for tier in tiers:
        if lower >= cases:
            return used
        upper = cases if tier.up_to is None else min(cases, tier.up_to)
        if upper > lower:
            used.append((upper - lower, tier.cents_per_case))
            lower = upper
    if cases > lower:
        used.append((cases - lower, tiers[-1].cents_per_case))
    return used


def graduated_case_cost(tiers: Sequence[CaseTier], cases: int) -> int:
    """Each case is priced by the tier it falls in."""
    return sum(count * cents for count, cents in case_tiers_used(tiers, cases))


class LandSplit:
    """How a total for all Länder reaches one municipality.

    The total is first split across the Länder by a distribution key (skipped when
    ``land_code`` is None: a reference municipality gets its population share of
    the whole country). ``chain`` then lists, level by level, the weights among
    which the amount is split and the key of the branch that leads on; the last
    branch is the municipality itself. Results are memoised per (total, key year),
    so pricing many offers with the same Land-level total costs one split.
    """

    _MEMO_LIMIT = 4096

    def __init__(
        self,
        *,
        land_code: str | None,
        chain: Sequence[tuple[Sequence[tuple[str, int]], str]],
    ) -> None:
        self.land_code = land_code
        self.chain = chain
        self._memo: dict[tuple[int, int], tuple[int, int]] = {}

    def part_of(self, total: int, land_shares: Mapping[str, int]) -> tuple[int, int]:
        """(the Land's part, the municipality's part) of a total for all Länder."""
        if self.land_code is None:
            region = total
        else:
            region = share_of(total, sorted(land_shares.items()), self.land_code)
        amount = region
        for weights, branch in self.chain:
            amount = share_of(amount, weights, branch)
        return region, amount

    def part_for(self, total: int, key_year: int | None) -> tuple[int, int, int]:
        """(key year used, the Land's part, the municipality's part), memoised."""
        year, shares = koenigstein(key_year)
        found = self._memo.get((total, year))
        if found is None:
            if len(self._memo) >= self._MEMO_LIMIT:
                self._memo.clear()
            found = self._memo[(total, year)] = self.part_of(total, shares)
        return year, found[0], found[1]


def quote(
    model: CostModel,
    *,
    ags: str | None,
    population: int,
    expected_cases: int | None,
    land_split: LandSplit,
) -> Quote:
    """Price ``model`` for one municipality; every component itemised."""
    cases = _cases(model, population, expected_cases)
    items = [
        _item(component, population, cases, land_split)
        for component in model.components
    ]
    annual = sum(item.annual_cents for item in items)
    one_off = sum(item.one_off_cents for item in items)
    land_pays = any(isinstance(c, LandShare) and c.land_pays for c in model.components)
    return Quote(
        ags=ags,
        population=population,
        expected_cases=cases,
        annual_cents=annual,
        first_year_cents=annual + one_off,
        items=items,
        cost_neutral=land_pays and annual == 0,
    )


def _cases(model: CostModel, population: int, expected: int | None) -> int:
    if expected is not None:
        return expected
    estimates = [
        c.estimated_cases_per_1000_inhabitants
        for c in model.components
        if isinstance(c, PerCase)
    ]
    rate = max(estimates, default=0)
    return round_div(population * rate, 1000)


def _item(
    component: Component, population: int, cases: int, land_split: LandSplit
) -> QuoteItem:
    match component:
        case OneOffFee(amount_cents=amount):
            return QuoteItem(
                kind="one_off",
                label=component.label,
                annual_cents=0,
                one_off_cents=amount,
                explanation="einmalig im ersten Jahr",
            )
        case AnnualFlatFee(amount_cents=amount):
            return QuoteItem(
                kind="annual_flat",
                label=component.label,
                annual_cents=amount,
                explanation="jährliche Pauschale",
            )
        case PerInhabitant():
            return _per_inhabitant(component, population)
        case PerCase():
            return _per_case(component, cases)
        case LandShare():
            return _land_share(component, land_split)
    raise TypeError(f"unknown cost component {component!r}")  # pragma: no cover


def _per_inhabitant(component: PerInhabitant, population: int) -> QuoteItem:
    raw = round_div(population * component.cents_per_1000_inhabitants, 1000)
    amount = max(raw, component.minimum_cents)
    if component.maximum_cents is not None:
        amount = min(amount, component.maximum_cents)
    note = ""
    if amount != raw:
        note = " (Mindestbetrag)" if amount > raw else " (Höchstbetrag)"
    return QuoteItem(
        kind="per_inhabitant",
        label=component.label,
        annual_cents=amount,
        explanation=(
            f"{_de(population)} Einwohner × "
            f"{_de_rate(component.cents_per_1000_inhabitants)} = {_de_cents(raw)}"
            f"{note}"
        ),
    )


def _per_case(component: PerCase, cases: int) -> QuoteItem:
    billable = max(0, cases - component.included_cases)
    used = case_tiers_used(component.tiers, billable)
    amount = sum(count * cents for count, cents in used)
    included = (
        f", davon {_de(component.included_cases)} inklusive"
        if component.included_cases
        else ""
    )
    steps = " + ".join(f"{_de(count)} × {_de_cents(cents)}" for count, cents in used)
    return QuoteItem(
        kind="per_case",
        label=component.label,
        annual_cents=amount,
        explanation=(
            f"{_de(cases)} Fälle pro Jahr{included}: "
            f"{steps or 'keine berechneten Fälle'}"
        ),
    )


def _land_share(component: LandShare, land_split: LandSplit) -> QuoteItem:
    year, land_part, own_part = land_split.part_for(
        component.annual_total_cents, component.key_year
    )
    if land_split.land_code is None:
        return QuoteItem(
            kind="land_share",
            label=component.label,
            annual_cents=0 if component.land_pays else own_part,
            paid_by_land_cents=own_part if component.land_pays else 0,
            explanation="Richtwert: Anteil am bundesweiten Gesamtbetrag nach Einwohnern",
        )
    key = f"Königsteiner Schlüssel {year}"
    if component.land_pays:
        return QuoteItem(
            kind="land_share",
            label=component.label,
            annual_cents=0,
            paid_by_land_cents=own_part,
            explanation=(
                f"Landesanteil {_de_cents(land_part)} nach {key}; "
                "das Land trägt die Kosten (kostenneutral für Kommunen)"
            ),
        )
    return QuoteItem(
        kind="land_share",
        label=component.label,
        annual_cents=own_part,
        explanation=(
            f"Landesanteil {_de_cents(land_part)} nach {key}, "
            "nach Einwohnern auf die Kommunen verteilt"
        ),
    )


def _de(value: int) -> str:
    return f"{value:,}".replace(",", ".")


def _de_rate(cents_per_1000: int) -> str:
    """A price per inhabitant given per 1,000 inhabitants, in cents: 2500 -> 2,5 ct."""
    whole, rest = divmod(cents_per_1000, 1000)
    fraction = f",{rest:03d}".rstrip("0") if rest else ""
    return f"{_de(whole)}{fraction} ct"


def _de_cents(cents: int) -> str:
    whole, rest = divmod(cents, 100)
    return f"{_de(whole)},{rest:02d} €"
