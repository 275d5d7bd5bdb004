"""Rules files: TOML and JSON, German errors with the place of the mistake, saving."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.routing import (
    KeywordRule,
    Office,
    PatternRule,
    RoutingRules,
    RulesError,
    load_rules,
    parse_rules,
    save_rules,
)

from .conftest import RULES_TOML


def test_toml_rules_load_with_every_section(rules: RoutingRules) -> None:
    """GIVEN the documented TOML example
    WHEN loaded
    THEN every section is there and the classifier file sits beside the rules."""
    assert [o.id for o in rules.offices] == ["ordnungsamt", "bauamt", "standesamt"]
    assert len(rules.barcode) == 1
    assert len(rules.file_reference) == 1
    assert len(rules.keyword) == 2
    assert [n.label for n in rules.negative] == ["Zustellungsurkunde", "Gerichtspost"]
    assert rules.classifier_file is not None
    assert Path(rules.classifier_file).is_absolute()


@pytest.mark.parametrize(
    ("replace", "by", "message"),
    [
        ('office = "bauamt"\nleika', 'office = "bauamt2"\nleika', "Unbekanntes Amt"),
        ("min_hits = 2", "min_hits = 0", "mindestens 1"),
        ("threshold = 0.75", "threshold = 1.5", "höchstens 1.0"),
        ('leika_key = "99001001000000"', 'leika_key = "990"', "Format ungültig"),
        ("confidence = 0.99", "confidens = 0.99", "unbekanntes Feld"),
        ('"^ROUTE[-: ]OA$"', '"^ROUTE[-: OA$"', "Ungültiger regulärer Ausdruck"),
        ('id = "bauamt"', 'id = "ordnungsamt"', "Amt doppelt definiert"),
        ("threshold = 0.75", "threshold = ", "kein gültiges TOML"),
    ],
)
def test_mistakes_are_reported_in_german_with_their_place(
    replace: str, by: str, message: str
) -> None:
    """GIVEN the example with one mistake
    WHEN parsed
    THEN a RulesError names the mistake in German."""
    broken = RULES_TOML.replace(replace, by, 1)
    assert broken != RULES_TOML
    with pytest.raises(RulesError, match=message):
        parse_rules(broken.encode())


def test_error_names_the_rule_that_is_wrong() -> None:
    """GIVEN a keyword rule with a bad value
    WHEN parsed
    THEN the message points to ``keyword[0].min_hits``."""
    broken = RULES_TOML.replace("min_hits = 2", "min_hits = -3")
    with pytest.raises(RulesError) as caught:
        parse_rules(broken.encode())
    assert "keyword[0].min_hits" in caught.value.message


def test_negative_rule_needs_keywords_or_pattern() -> None:
    """GIVEN a negative rule with neither keywords nor a pattern
    WHEN parsed
    THEN it is refused."""
    raw = RULES_TOML + '\n[[negative]]\nlabel = "leer"\n'
    with pytest.raises(RulesError, match=r"negative\[2\]"):
        parse_rules(raw.encode())


def test_missing_and_non_utf8_files_are_clear_errors(tmp_path: Path) -> None:
    """GIVEN no file, and a Latin-1 file
    WHEN loaded
    THEN the message says which."""
    with pytest.raises(RulesError, match="fehlt"):
        load_rules(tmp_path / "nope.toml")
    latin = tmp_path / "latin.toml"
    latin.write_bytes('[[offices]]\nname = "Straßenverkehrsamt"'.encode("latin-1"))
    with pytest.raises(RulesError, match="UTF-8"):
        load_rules(latin)


def test_saved_rules_load_back_identical(rules: RoutingRules, tmp_path: Path) -> None:
    """GIVEN loaded rules
    WHEN saved as JSON and loaded again
    THEN they are equal and no temporary file is left."""
    target = tmp_path / "saved.json"
    save_rules(rules, target)
    assert load_rules(target) == rules
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rules.toml", "saved.json"]


office_ids = st.from_regex(r"\A[a-z][a-z0-9_-]{0,10}\Z")
words = st.text(st.characters(categories=["L"]), min_size=1, max_size=12)


@st.composite
def rule_sets(draw: st.DrawFn) -> RoutingRules:
    ids = draw(st.lists(office_ids, min_size=1, max_size=4, unique=True))
    offices = [Office(id=i, name=i.upper(), route=f"dms:{i}") for i in ids]
    keywords = [
        KeywordRule(keywords=draw(st.lists(words, min_size=1, max_size=3)), office=i)
        for i in draw(st.lists(st.sampled_from(ids), max_size=3))
    ]
    barcodes = [
        PatternRule(pattern=f"^ROUTE-{i}$", office=i, confidence=c)
        for i, c in draw(
            st.lists(st.tuples(st.sampled_from(ids), st.floats(0, 1)), max_size=3)
        )
    ]
    threshold = draw(st.floats(0, 1))
    return RoutingRules(
        threshold=threshold, offices=offices, keyword=keywords, barcode=barcodes
    )


@given(rule_sets())
def test_any_valid_rule_set_round_trips_through_json(rules: RoutingRules) -> None:
    """GIVEN any valid rule set
    WHEN encoded to JSON and parsed
    THEN the same rules come back."""
    assert parse_rules(msgspec.json.encode(rules), suffix=".json") == rules


@given(st.binary(max_size=300), st.sampled_from([".toml", ".json"]))
def test_garbage_is_refused_with_rules_error_only(raw: bytes, suffix: str) -> None:
    """GIVEN arbitrary bytes
    WHEN parsed as TOML or JSON
    THEN either valid rules come back or a RulesError, never another exception."""
    try:
        result: RoutingRules | str = parse_rules(raw, suffix=suffix)
    except RulesError as exc:
        result = exc.message
    assert isinstance(result, RoutingRules) or result.strip()


@given(rule_sets(), st.text(max_size=20))
def test_a_rule_naming_an_unknown_office_is_always_refused(
    rules: RoutingRules, stranger: str
) -> None:
    """GIVEN a valid rule set plus a keyword rule for an office not defined
    WHEN parsed
    THEN it is refused and the message names that office."""
    unknown = "zz-" + "".join(c for c in stranger if c.isalnum() and c.isascii())[:8]
    data = msgspec.to_builtins(rules)
    data["keyword"].append({"keywords": ["Wort"], "office": unknown.lower()})
    with pytest.raises(RulesError, match=unknown.lower()):
        parse_rules(msgspec.json.encode(data), suffix=".json")
