"""Property tests of routing input the existing rule tests do not reach: rule files
that are well-formed TOML/JSON but shaped wrongly (wrong types, arbitrary regular
expressions), and routing any text and any barcode payload with any rule set."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from appliance.model import Barcode, BarcodeFormat, RoutingInput
from appliance.routing import RoutingRules, RulesError, parse_rules, route
from appliance.sample_mail.rules import RULES_TOML

from .test_rules import rule_sets

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.text(max_size=20),
    st.sampled_from(["(", "[z-a]", "a{3,1}", "\\", "(?<", "^ROUTE[-: ].+$"]),
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
FIELD_NAMES = (
    *("id", "name", "route", "leika_key", "office", "pattern", "keywords", "label"),
    *("min_hits", "confidence", "threshold", "redact_id_copies", "unknown"),
)
fields = st.sampled_from(FIELD_NAMES)
sections = st.sampled_from(["offices", "barcode", "file_reference", "keyword"])
shaped = st.dictionaries(
    sections | st.sampled_from(["negative", "threshold"]),
    st.lists(st.dictionaries(fields, values, max_size=6), max_size=3) | values,
    max_size=5,
)


def _parse(raw: bytes, suffix: str) -> RoutingRules | str:
    try:
        return parse_rules(raw, suffix=suffix)
    except RulesError as exc:
        return exc.message


@given(shaped)
@example({"offices": [{"id": "a", "name": "A", "route": "x"}], "keyword": 5})
@example({"offices": [{"id": "a", "name": "A", "route": "x"}], "negative": [{}]})
@example(
    {
        "offices": [{"id": "a", "name": "A", "route": "x"}],
        "barcode": [{"pattern": "(", "office": "a"}],
    }
)
def test_wrongly_shaped_rules_are_refused_with_a_place(data: dict[str, object]) -> None:
    """GIVEN well-formed JSON shaped roughly like rules (wrong types, unknown
    fields, broken regular expressions, dangling offices) WHEN parsed THEN valid
    rules or a RulesError with a non-empty German message, never another error."""
    result = _parse(msgspec.json.encode(data), ".json")
    assert isinstance(result, RoutingRules) or result.strip()


@pytest.mark.parametrize(
    ("raw", "suffix"),
    [(b"[" * 100_000, ".json"), (b"a = " + b"[" * 100_000, ".toml")],
    ids=["json", "toml"],
)
def test_deeply_nested_input_is_refused(raw: bytes, suffix: str) -> None:
    """GIVEN a rules text nested 100 000 levels deep (the station's rules page
    accepts any text) WHEN parsed THEN a RulesError, not a RecursionError."""
    assert _parse(raw, suffix) == "Die Regeldatei ist zu tief verschachtelt."


texts = st.text(max_size=300) | st.sampled_from(
    ["Antrag auf Meldebescheinigung", "Zustellungsurkunde\nWiderspruch Bescheid"]
)
codes = st.lists(
    st.builds(
        Barcode,
        page=st.integers(1, 5),
        format=st.sampled_from(list(BarcodeFormat)),
        text=st.text(max_size=60) | st.just("ROUTE:STEUERAMT:HUNDESTEUER"),
    ),
    max_size=4,
)
SAMPLE_RULES = parse_rules(RULES_TOML.encode(), suffix=".toml")


@given(rules=st.just(SAMPLE_RULES) | rule_sets(), text=texts, barcodes=codes)
def test_any_document_gets_a_consistent_decision(
    rules: RoutingRules, text: str, barcodes: list[Barcode]
) -> None:
    """GIVEN any rule set (the sample mail's or generated) and any OCR text and
    barcode payloads WHEN routed THEN a decision comes back whose office is one of
    the rules' offices or none, whose confidence lies in [0, 1], that waits for a
    person without an office or below the threshold, and that keeps the original
    only when the rules have a negative list."""
    decision = route(RoutingInput(text=text, barcodes=barcodes), rules)
    assert decision.office is None or rules.office(decision.office) is not None
    assert 0.0 <= decision.confidence <= 1.0
    if decision.office is None or decision.confidence < rules.threshold:
        assert decision.needs_review
    assert not decision.keep_original or rules.negative
    assert decision.reason.strip()
