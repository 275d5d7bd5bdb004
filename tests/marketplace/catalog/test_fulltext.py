"""How user text becomes FTS5 expressions (no database needed)."""

from __future__ import annotations

from marketplace.catalog.fulltext import spellings, terms


def test_user_text_becomes_quoted_fts_strings() -> None:
    """GIVEN FTS5 syntax in user text WHEN turned into terms THEN only quoted words
    remain, with their alternative spellings."""
    found = terms('Park" OR NEAR(a b) * -x ab Straße')
    assert [t.words for t in found] == [
        '"park"*',
        '"or"*',
        '"near"*',
        '"a"*',
        '"b"*',
        '"x"*',
        '"ab"*',
        '"straße"* OR "strasse"*',
    ]
    assert [t.trigrams for t in found] == [
        '"park"',
        None,
        '"near"',
        None,
        None,
        None,
        None,
        '"straße" OR "strasse"',
    ]
    assert spellings("Fuehrung") == ["fuehrung", "führung"]
    assert len(terms(" ".join(["wort"] * 50))) == 8
