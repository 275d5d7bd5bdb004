"""The pure calculator: exact splits, graduated tiers, every component."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from marketplace.costs.calculator import (
    LandSplit,
    graduated_case_cost,
    quote,
    share_of,
    split_exact,
)
from marketplace.costs.keys import FULL, koenigstein, koenigstein_years
from marketplace.costs.schemas import (
    AnnualFlatFee,
    CaseTier,
    CostModel,
    LandShare,
    OneOffFee,
    PerCase,
    PerInhabitant,
)

# Properties, not speed: no per-example deadline, so a busy CI machine cannot make
# these tests flaky.
exact = settings(deadline=None)

weights = st.lists(
    st.tuples(st.text(min_size=1, max_size=6), st.integers(0, 10**9)),
    min_size=1,
    max_size=40,
    unique_by=lambda pair: pair[0],
).filter(lambda ws: sum(w for _, w in ws) > 0)


@exact
@given(total=st.integers(0, 10**12), weights=weights)
def test_split_parts_add_up_exactly(total: int, weights: list[tuple[str, int]]) -> None:
    """GIVEN any total and weights WHEN split THEN no cent is lost or created, no
    part is negative, and each part is within one cent of its exact share."""
    parts = split_exact(total, weights)
    assert sum(parts.values()) == total
    assert all(part >= 0 for part in parts.values())
    weight_sum = sum(w for _, w in weights)
    for key, weight in weights:
        exact_floor = total * weight // weight_sum
        assert exact_floor <= parts[key] <= exact_floor + 1


@exact
@given(total=st.integers(0, 10**9), weights=weights)
def test_split_is_deterministic_and_monotone(
    total: int, weights: list[tuple[str, int]]
) -> None:
    """GIVEN the same input twice THEN the same split; a larger weight never gets less."""
    assert split_exact(total, weights) == split_exact(total, list(weights))
    parts = split_exact(total, weights)
    ordered = sorted(weights, key=lambda pair: pair[1])
    for (low_key, low), (high_key, high) in itertools.pairwise(ordered):
        if high > low:
            assert parts[high_key] >= parts[low_key]


def test_split_ties_go_to_the_earlier_key() -> None:
    """GIVEN three equal weights and 100 cents THEN 34/33/33, the first gets the cent."""
    assert split_exact(100, [("a", 1), ("b", 1), ("c", 1)]) == {
        "a": 34,
        "b": 33,
        "c": 33,
    }


def test_split_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="negative"):
        split_exact(-1, [("a", 1)])
    with pytest.raises(ValueError, match="no weights"):
        split_exact(5, [("a", 0)])


@pytest.mark.parametrize(
    ("cases", "expected"),
    [
        (0, 0),
        (100, 100 * 50),
        (1000, 1000 * 50),
        (1001, 1000 * 50 + 30),
        (5000, 50000 + 4000 * 30),
    ],
)
def test_graduated_tiers(cases: int, expected: int) -> None:
    """GIVEN 50 ct up to 1,000 cases and 30 ct beyond THEN each case at its tier's rate."""
    tiers = [CaseTier(up_to=1000, cents_per_case=50), CaseTier(cents_per_case=30)]
    assert graduated_case_cost(tiers, cases) == expected


def test_koenigstein_years_sum_to_exactly_100_percent() -> None:
    for year, shares in koenigstein_years().items():
        assert sum(shares.values()) == FULL, year
        assert len(shares) == 16
    year, shares = koenigstein()
    assert year == max(koenigstein_years())
    assert shares["05"] == 2_114_424  # NRW 21.14424 %


def _split_for(
    land_code: str, chain_weights: list[tuple[str, int]], me: str
) -> LandSplit:
    return LandSplit(land_code=land_code, chain=[(chain_weights, me)])


def test_quote_itemises_every_component() -> None:
    """GIVEN a model with every component WHEN priced THEN each is itemised and the
    first year adds the one-off fee."""
    model = CostModel(
        components=[
            OneOffFee(label="Anbindung", amount_cents=150_000),
            AnnualFlatFee(label="Betrieb", amount_cents=240_000),
            PerInhabitant(label="Einwohner", cents_per_1000_inhabitants=2_500),
            PerCase(
                label="Fälle",
                tiers=[
                    CaseTier(up_to=1000, cents_per_case=100),
                    CaseTier(cents_per_case=50),
                ],
                included_cases=100,
            ),
        ]
    )
    split = _split_for("14", [("14713000", 1)], "14713000")
    result = quote(
        model, ags="14713000", population=616_093, expected_cases=2100, land_split=split
    )
    by_kind = {item.kind: item for item in result.items}
    assert by_kind["one_off"].one_off_cents == 150_000
    assert by_kind["annual_flat"].annual_cents == 240_000
    assert (
        by_kind["per_inhabitant"].annual_cents == 1_540_233
    )  # 616093 × 2.5 ct, rounded
    assert by_kind["per_case"].annual_cents == 1000 * 100 + 1000 * 50
    assert result.annual_cents == 240_000 + 1_540_233 + 150_000
    assert result.first_year_cents == result.annual_cents + 150_000
    assert by_kind["per_inhabitant"].explanation == (
        "616.093 Einwohner × 2,5 ct = 15.402,33 €"
    )
    assert by_kind["per_case"].explanation == (
        "2.100 Fälle pro Jahr, davon 100 inklusive: 1.000 × 1,00 € + 1.000 × 0,50 €"
    )
    assert by_kind["one_off"].explanation == "einmalig im ersten Jahr"
    assert not result.cost_neutral


def test_per_inhabitant_floor_and_cap() -> None:
    floor = PerInhabitant(
        label="E", cents_per_1000_inhabitants=1000, minimum_cents=50_000
    )
    cap = PerInhabitant(label="E", cents_per_1000_inhabitants=1000, maximum_cents=100)
    split = _split_for("14", [("x", 1)], "x")
    low = quote(
        CostModel(components=[floor]),
        ags="x",
        population=10,
        expected_cases=0,
        land_split=split,
    )
    high = quote(
        CostModel(components=[cap]),
        ags="x",
        population=10**6,
        expected_cases=0,
        land_split=split,
    )
    assert low.annual_cents == 50_000
    assert "Mindestbetrag" in low.items[0].explanation
    assert high.annual_cents == 100
    assert "Höchstbetrag" in high.items[0].explanation


def test_case_estimate_from_population() -> None:
    """GIVEN no case number WHEN the model has an estimate per 1,000 inhabitants
    THEN the cases are estimated from the population."""
    component = PerCase(
        label="F",
        tiers=[CaseTier(cents_per_case=200)],
        estimated_cases_per_1000_inhabitants=5,
    )
    split = _split_for("14", [("x", 1)], "x")
    result = quote(
        CostModel(components=[component]),
        ags="x",
        population=200_000,
        expected_cases=None,
        land_split=split,
    )
    assert result.expected_cases == 1000
    assert result.annual_cents == 200_000


def test_land_share_paid_by_the_land_is_cost_neutral() -> None:
    """GIVEN a Land-level total the Land pays WHEN priced THEN the municipality pays
    0 and the item still shows the Land's part."""
    model = CostModel(
        components=[
            LandShare(label="Betrieb", annual_total_cents=10_000_000, land_pays=True)
        ]
    )
    split = _split_for("14", [("14713000", 616_093), ("_rest", 3_470_059)], "14713000")
    result = quote(
        model, ags="14713000", population=616_093, expected_cases=0, land_split=split
    )
    assert result.annual_cents == 0
    assert result.cost_neutral
    # Saxony's 5.05577 % of 100,000 € is 5,055.77 €; Leipzig's population share of it:
    assert result.items[0].paid_by_land_cents == 616_093 * 505_577 // 4_086_152 + 1
    assert "kostenneutral" in result.items[0].explanation


@exact
@given(total=st.integers(0, 10**10))
def test_land_shares_over_all_laender_add_up(total: int) -> None:
    """GIVEN a total for all Länder WHEN every Land's part is computed THEN the parts
    add up to the total exactly."""
    _, shares = koenigstein()
    parts = [
        LandSplit(land_code=code, chain=[]).part_of(total, shares)[0] for code in shares
    ]
    assert sum(parts) == total


@exact
@given(total=st.integers(0, 10**12), weights=weights)
def test_share_of_one_branch_equals_the_full_split(
    total: int, weights: list[tuple[str, int]]
) -> None:
    """GIVEN any total and weights WHEN one branch's part is computed alone THEN it
    is exactly that branch's part of the full largest-remainder split."""
    parts = split_exact(total, weights)
    for key, _ in weights:
        assert share_of(total, weights, key) == parts[key]


def test_share_of_refuses_an_unknown_branch() -> None:
    with pytest.raises(KeyError):
        share_of(10, [("a", 1)], "b")


@exact
@given(
    total=st.integers(0, 10**10),
    kreise=st.lists(st.integers(0, 10**6), min_size=1, max_size=12),
    gemeinden=st.lists(st.integers(0, 10**5), min_size=1, max_size=12),
)
def test_two_level_chain_loses_no_cent(
    total: int, kreise: list[int], gemeinden: list[int]
) -> None:
    """GIVEN a Land split among Kreise and the first Kreis among its Gemeinden WHEN
    every branch's part is computed through the chain THEN the parts of all
    Gemeinden add up to their Kreis's part and all Kreise to the Land's part."""
    if not any(kreise):
        kreise[0] = 1
    if not any(gemeinden):
        gemeinden[0] = 1
    level_one = [(f"k{i}", pop) for i, pop in enumerate(kreise)]
    level_two = [(f"g{i}", pop) for i, pop in enumerate(gemeinden)]
    _, shares = koenigstein(2016)
    land_part = LandSplit(land_code="14", chain=[]).part_of(total, shares)[1]
    kreis_parts = [
        LandSplit(land_code="14", chain=[(level_one, key)]).part_of(total, shares)[1]
        for key, _ in level_one
    ]
    gemeinde_parts = [
        LandSplit(land_code="14", chain=[(level_one, "k0"), (level_two, key)]).part_of(
            total, shares
        )[1]
        for key, _ in level_two
    ]
    assert sum(kreis_parts) == land_part
    assert sum(gemeinde_parts) == kreis_parts[0]


@exact
@given(
    tiers=st.lists(st.integers(0, 10_000), min_size=1, max_size=5),
    bounds=st.lists(st.integers(1, 2_000), min_size=4, max_size=4, unique=True),
    cases=st.integers(0, 10_000),
)
def test_graduated_tiers_price_each_case_by_its_tier(
    tiers: list[int], bounds: list[int], cases: int
) -> None:
    """GIVEN any ascending tiers WHEN priced THEN the sum equals pricing the cases
    one by one, and one more case never costs less."""
    ups = sorted(bounds)[: len(tiers) - 1]
    model = [
        CaseTier(up_to=up, cents_per_case=price)
        for up, price in zip(ups, tiers, strict=False)
    ] + [CaseTier(cents_per_case=tiers[-1])]

    def price_of(case_number: int) -> int:  # 1-based case number
        for tier in model:
            if tier.up_to is None or case_number <= tier.up_to:
                return tier.cents_per_case
        raise AssertionError("open last tier")

    assert graduated_case_cost(model, cases) == sum(
        price_of(n) for n in range(1, cases + 1)
    )
    assert graduated_case_cost(model, cases + 1) >= graduated_case_cost(model, cases)


@exact
@given(
    population=st.integers(0, 4_000_000),
    rate=st.integers(0, 100_000),
    floor=st.integers(0, 10**6),
    cap=st.none() | st.integers(0, 10**8),
)
def test_per_inhabitant_is_monotone_and_bounded(
    population: int, rate: int, floor: int, cap: int | None
) -> None:
    """GIVEN any rate, floor and cap WHEN the population grows THEN the price never
    falls, and it stays within the cap (the cap wins over the floor)."""
    component = PerInhabitant(
        label="E",
        cents_per_1000_inhabitants=rate,
        minimum_cents=floor,
        maximum_cents=cap,
    )
    split = _split_for("14", [("x", 1)], "x")

    def price(people: int) -> int:
        return quote(
            CostModel(components=[component]),
            ags="x",
            population=people,
            expected_cases=0,
            land_split=split,
        ).annual_cents

    small, large = price(population), price(population + 1000)
    assert small <= large
    if cap is not None:
        assert large <= cap
    else:
        assert small >= floor


def test_included_cases_are_free_and_no_estimate_means_no_cases() -> None:
    """GIVEN 500 included cases WHEN 400 are expected THEN nothing is charged; and
    WHEN no case number is given and the model has no estimate THEN zero cases."""
    component = PerCase(
        label="F", tiers=[CaseTier(cents_per_case=100)], included_cases=500
    )
    split = _split_for("14", [("x", 1)], "x")
    model = CostModel(components=[component])
    few = quote(model, ags="x", population=10**6, expected_cases=400, land_split=split)
    assert few.annual_cents == 0
    assert few.items[0].explanation == (
        "400 Fälle pro Jahr, davon 500 inklusive: keine berechneten Fälle"
    )
    unknown = quote(
        model, ags="x", population=10**6, expected_cases=None, land_split=split
    )
    assert unknown.expected_cases == 0
    assert unknown.annual_cents == 0


def test_land_share_paid_by_municipalities_is_not_cost_neutral() -> None:
    """GIVEN a Land-level total without ``land_pays`` WHEN priced THEN the
    municipality pays its part and the explanation names the key year."""
    model = CostModel(
        components=[
            LandShare(label="Betrieb", annual_total_cents=10_000_000, key_year=2015)
        ]
    )
    split = _split_for("14", [("me", 1), ("_rest", 3)], "me")
    result = quote(model, ags="me", population=1, expected_cases=0, land_split=split)
    saxony_2015 = split_exact(10_000_000, sorted(koenigstein(2015)[1].items()))["14"]
    assert (
        result.annual_cents == split_exact(saxony_2015, [("me", 1), ("_rest", 3)])["me"]
    )
    assert not result.cost_neutral
    assert result.items[0].paid_by_land_cents == 0
    assert "Königsteiner Schlüssel 2015" in result.items[0].explanation


def test_a_one_off_fee_alone_keeps_land_paid_model_cost_neutral() -> None:
    """GIVEN the Land pays the running costs and there is a one-off connection fee
    THEN the quote is still cost neutral (no running costs) but the first year
    includes the fee."""
    model = CostModel(
        components=[
            LandShare(label="Betrieb", annual_total_cents=5_000_000, land_pays=True),
            OneOffFee(label="Anbindung", amount_cents=99_00),
        ]
    )
    split = _split_for("14", [("me", 1)], "me")
    result = quote(model, ags="me", population=1, expected_cases=0, land_split=split)
    assert result.cost_neutral
    assert result.annual_cents == 0
    assert result.first_year_cents == 99_00


def test_land_split_memo_gives_the_same_parts() -> None:
    """GIVEN one LandSplit WHEN the same total is priced twice, with the newest key
    named explicitly or implicitly THEN the same parts."""
    split = _split_for("05", [("me", 7), ("_rest", 11)], "me")
    newest, shares = koenigstein()
    first = split.part_for(123_456_789, None)
    again = split.part_for(123_456_789, newest)
    assert first == again == (newest, *split.part_of(123_456_789, shares))


def test_tie_break_is_stable_across_orderings_of_equal_remainders() -> None:
    """GIVEN two equal weights and an odd total THEN the earlier key gets the cent,
    whatever the key names are."""
    assert split_exact(3, [("z", 1), ("a", 1)]) == {"z": 2, "a": 1}
    assert share_of(3, [("z", 1), ("a", 1)], "a") == 1


@pytest.mark.parametrize(
    ("rate", "text"),
    [
        (2_500, "1.000 Einwohner × 2,5 ct = 25,00 €"),
        (1_000, "1.000 Einwohner × 1 ct = 10,00 €"),
        (150, "1.000 Einwohner × 0,15 ct = 1,50 €"),
        (12_345, "1.000 Einwohner × 12,345 ct = 123,45 €"),
    ],
)
def test_per_inhabitant_explains_the_rate_per_person(rate: int, text: str) -> None:
    """GIVEN a rate per 1,000 inhabitants THEN the explanation names the exact rate
    per person in cents, German style, and the product."""
    component = PerInhabitant(label="E", cents_per_1000_inhabitants=rate)
    result = quote(
        CostModel(components=[component]),
        ags="x",
        population=1000,
        expected_cases=0,
        land_split=_split_for("14", [("x", 1)], "x"),
    )
    assert result.items[0].explanation == text
