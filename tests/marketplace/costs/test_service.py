"""The Quoter over a real SQLite database: who shares a Land's part, and how."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from marketplace.costs.calculator import split_exact
from marketplace.costs.keys import koenigstein
from marketplace.costs.schemas import (
    AnnualFlatFee,
    CaseTier,
    CostModel,
    LandShare,
    PerCase,
    PerInhabitant,
)
from marketplace.costs.service import REFERENCE_POPULATION, Quoter
from marketplace.db import Database
from marketplace.errors import NotFound

TOTAL = 1_000_000_000  # 10 million euros for all Länder
LAND_SHARE = CostModel(
    components=[LandShare(label="Betrieb", annual_total_cents=TOTAL, key_year=2016)]
)
# A small Land "Sachsen" whose catalog covers every inhabitant: one kreisfreie
# Stadt and one Landkreis with three Gemeinden (which together are the Landkreis).
SAXONY = [
    ("14713000", "Leipzig", "kreisfreie_stadt", 600_000),
    ("14729000", "Landkreis Leipzig", "landkreis", 250_000),
    ("14729140", "Borna", "gemeinde", 19_000),
    ("14729150", "Brandis", "gemeinde", 10_000),
    ("14729160", "übrige Gemeinden, zusammengefasst", "gemeinde", 221_000),
]


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    async with Database(tmp_path / "costs.sqlite3", readers=1) as database:
        yield database


async def _load(
    db: Database,
    rows: list[tuple[str, str, str, int]],
    *,
    land_population: int,
) -> None:
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO laender VALUES ('14', 'SN', 'Sachsen', ?)", (land_population,)
        )
        await conn.executemany(
            "INSERT INTO municipalities (ags, name, kind, land_code, population)"
            " VALUES (?, ?, ?, '14', ?)",
            rows,
        )


async def _annual(db: Database, ags: str, model: CostModel = LAND_SHARE) -> int:
    async with db.read() as conn:
        quoter = await Quoter.for_municipality(conn, ags)
    return quoter.quote(model).annual_cents


def _saxony_part() -> int:
    return split_exact(TOTAL, sorted(koenigstein(2016)[1].items()))["14"]


async def test_a_complete_land_splits_its_part_without_losing_a_cent(
    db: Database,
) -> None:
    """GIVEN a Land whose Kreis-level units hold all its inhabitants WHEN every unit
    and every Gemeinde is priced THEN the units add up exactly to the Land's part,
    the Gemeinden exactly to their Landkreis's part, nobody counted twice."""
    await _load(db, SAXONY, land_population=850_000)
    parts = {ags: await _annual(db, ags) for ags, *_ in SAXONY}
    assert parts["14713000"] + parts["14729000"] == _saxony_part()
    gemeinden = [parts[ags] for ags, _, kind, _ in SAXONY if kind == "gemeinde"]
    assert sum(gemeinden) == parts["14729000"]
    assert parts["14729140"] > parts["14729150"] > 0


async def test_inhabitants_outside_the_catalog_keep_their_share(
    db: Database,
) -> None:
    """GIVEN a catalog that lists only Leipzig while the Land has 4 million people
    WHEN Leipzig is priced THEN it pays its population share of the Land's part,
    not the whole part (the rest of the Land is one entry of its own)."""
    await _load(db, SAXONY[:1], land_population=4_000_000)
    expected = split_exact(
        _saxony_part(), [("14713000", 600_000), ("_rest", 3_400_000)]
    )["14713000"]
    assert await _annual(db, "14713000") == expected


async def test_a_gemeinde_without_its_landkreis_is_a_unit_of_its_own(
    db: Database,
) -> None:
    """GIVEN a Gemeinde whose Landkreis is not in the catalog WHEN priced THEN it
    shares the Land's part directly, by its population."""
    await _load(db, [SAXONY[2]], land_population=1_000_000)
    expected = split_exact(_saxony_part(), [("14729140", 19_000), ("_rest", 981_000)])
    assert await _annual(db, "14729140") == expected["14729140"]


async def test_unknown_municipality_is_not_found(db: Database) -> None:
    await _load(db, SAXONY[:1], land_population=4_000_000)
    async with db.read() as conn:
        with pytest.raises(NotFound, match="09162000"):
            await Quoter.for_municipality(conn, "09162000")


async def test_zero_populations_do_not_break_the_split(db: Database) -> None:
    """GIVEN a Land and a municipality with no population figures WHEN a Land-level
    total is priced THEN a price comes back (equal parts) instead of an error."""
    await _load(db, [("14713000", "Leipzig", "kreisfreie_stadt", 0)], land_population=0)
    assert await _annual(db, "14713000") == _saxony_part()


async def test_reference_municipality_uses_the_country_population(
    db: Database,
) -> None:
    """GIVEN the Länder table WHEN the reference municipality (100,000 people) is
    priced THEN per-inhabitant prices use 100,000 and a Land-level total is split
    by its share of the country's population."""
    await _load(db, SAXONY[:1], land_population=4_000_000)
    model = CostModel(
        components=[
            PerInhabitant(label="E", cents_per_1000_inhabitants=2_500),
            LandShare(label="L", annual_total_cents=4_000_000_000),
            AnnualFlatFee(label="P", amount_cents=100),
            PerCase(
                label="F",
                tiers=[CaseTier(cents_per_case=10)],
                estimated_cases_per_1000_inhabitants=3,
            ),
        ]
    )
    async with db.read() as conn:
        quoter = await Quoter.for_reference(conn)
    result = quoter.quote(model)
    assert result.ags is None
    assert result.population == REFERENCE_POPULATION
    by_kind = {item.kind: item.annual_cents for item in result.items}
    assert by_kind["per_inhabitant"] == 250_000
    assert by_kind["land_share"] == 100_000_000  # 100,000 of 4,000,000 people
    assert by_kind["per_case"] == 300 * 10
    assert result.expected_cases == 300


async def test_remembered_land_units_follow_every_change(db: Database) -> None:
    """GIVEN Leipzig priced once on a reader connection WHEN another connection
    commits a new kreisfreie Stadt, and later the writer itself adds one inside its
    transaction THEN each new price reflects the new split (no stale cache)."""
    await _load(db, SAXONY[:1], land_population=1_000_000)
    async with db.read() as conn:
        first = (await Quoter.for_municipality(conn, "14713000")).quote(LAND_SHARE)
    async with db.transaction() as conn:
        await conn.execute(
            "INSERT INTO municipalities (ags, name, kind, land_code, population)"
            " VALUES ('14511000', 'Chemnitz', 'kreisfreie_stadt', '14', 500000)"
        )
    async with db.read() as conn:
        second = (await Quoter.for_municipality(conn, "14713000")).quote(LAND_SHARE)
    async with db.transaction() as conn:
        before = (await Quoter.for_municipality(conn, "14713000")).quote(LAND_SHARE)
        await conn.execute(
            "INSERT INTO municipalities (ags, name, kind, land_code, population)"
            " VALUES ('14612000', 'Dresden', 'kreisfreie_stadt', '14', 400000)"
        )
        after = (await Quoter.for_municipality(conn, "14713000")).quote(LAND_SHARE)

    def leipzig(*others: tuple[str, int]) -> int:
        weights = [("14713000", 600_000), *others]
        return split_exact(_saxony_part(), weights)["14713000"]

    assert first.annual_cents == leipzig(("_rest", 400_000))
    # 600,000 + 500,000 exceed the Land's 1,000,000: no rest, the cities share.
    assert second.annual_cents == leipzig(("14511000", 500_000))
    assert before.annual_cents == second.annual_cents
    assert after.annual_cents == leipzig(("14511000", 500_000), ("14612000", 400_000))
