"""The bundled Königsteiner Schlüssel: complete, exact, sourced."""

from __future__ import annotations

import pytest

from marketplace.costs.keys import (
    FULL,
    LAND_ABBREVIATIONS,
    KeyDataError,
    describe_keys,
    koenigstein,
    koenigstein_years,
    parse_share,
    validate_year,
)


def test_every_year_has_16_laender_summing_to_exactly_100_percent() -> None:
    """GIVEN the bundled key data THEN each year has all 16 Länder and sums to
    exactly 10,000,000 units (100 %), every share positive."""
    years = koenigstein_years()
    assert {2014, 2015, 2016} <= set(years)
    for year, shares in years.items():
        assert set(shares) == set(LAND_ABBREVIATIONS), year
        assert sum(shares.values()) == FULL, year
        assert all(share > 0 for share in shares.values()), year


@pytest.mark.parametrize(
    ("land", "units"),
    [
        ("08", 1_296_662),  # BW 12.96662 %
        ("09", 1_553_327),  # BY 15.53327 %
        ("11", 508_324),  # BE 5.08324 %
        ("04", 95_331),  # HB 0.95331 %
        ("05", 2_114_424),  # NW 21.14424 %
        ("16", 269_470),  # TH 2.69470 %
    ],
)
def test_the_2016_key_matches_the_published_gwk_values(land: str, units: int) -> None:
    assert koenigstein(2016)[1][land] == units


def test_newest_year_is_the_default() -> None:
    year, shares = koenigstein()
    assert year == max(koenigstein_years())
    assert shares == koenigstein_years()[year]
    with pytest.raises(KeyError):
        koenigstein(1990)


@pytest.mark.parametrize("text", ["12.966621", "-1.00000", "zwölf", "1e-7"])
def test_shares_beyond_five_decimals_or_not_numbers_are_refused(text: str) -> None:
    with pytest.raises(KeyDataError):
        parse_share(text)


def test_a_year_that_does_not_add_up_is_refused() -> None:
    """GIVEN a key one unit short of 100 %, or missing a Land THEN a data error."""
    _, shares = koenigstein(2016)
    short = {**shares, "01": shares["01"] - 1}
    with pytest.raises(KeyDataError, match="sums to"):
        validate_year(2016, short)
    missing = {code: share for code, share in shares.items() if code != "16"}
    with pytest.raises(KeyDataError, match="16 Länder"):
        validate_year(2016, missing)


def test_described_keys_carry_source_and_exact_text() -> None:
    described = {key.year: key for key in describe_keys()}
    assert set(described) == set(koenigstein_years())
    key_2016 = described[2016]
    assert "GWK" in key_2016.source
    by_land = {share.abbreviation: share.share_percent for share in key_2016.shares}
    assert by_land["NW"] == "21.14424"
    assert len(by_land) == 16
