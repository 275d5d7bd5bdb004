"""Routing of one separated document: which office, which service, which route.

The order is fixed: barcodes first (a routing code or file reference printed on a
return envelope or form is the strongest evidence), then file-reference patterns in
the OCR text, then keywords, then the classifier trained on corrected decisions.
The first step that finds something decides; if rules of one step point to
different offices the decision is marked contradictory and its confidence halved.
Independent of the office, the negative list marks mail that goes on as paper
original and a machine-readable zone marks an enclosed ID-card copy, which is never
routed automatically.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from pathlib import Path

import msgspec

from appliance.model import BarcodeFormat, RoutingDecision, RoutingInput
from appliance.routing.classifier import cached
from appliance.routing.mrz import find_mrz
from appliance.routing.rules import KeywordRule, PatternRule, RoutingRules


class Match(msgspec.Struct, kw_only=True, frozen=True):
    office: str
    leika_key: str | None
    confidence: float
    method: str
    reason: str


def route(doc: RoutingInput, rules: RoutingRules) -> RoutingDecision:
    """Decide where ``doc`` goes; decisions below the threshold wait for a person."""
    text = _join_hyphenation(doc.text)
    steps: list[Callable[[], Match | None]] = [
        lambda: _by_barcode(doc, rules),
        lambda: _by_pattern(text, rules.file_reference, "file_reference"),
        lambda: _by_keywords(text, rules.keyword),
        lambda: _by_classifier(text, rules),
    ]
    match = next((m for step in steps if (m := step()) is not None), None)
    return _decide(match, text, rules)


def _decide(match: Match | None, text: str, rules: RoutingRules) -> RoutingDecision:
    reasons = [match.reason] if match else ["Keine Regel und kein Lernbeispiel passt."]
    office = rules.office(match.office) if match else None
    keep_original = False
    for negative in rules.negative:
        if _negative_hit(text, negative.keywords, negative.pattern):
            keep_original = True
            reasons.append(f"Negativliste „{negative.label}“: Original an Fachamt.")
            break
    mrz = find_mrz(text)
    if mrz:
        reasons.append(
            f"Ausweiskopie erkannt (maschinenlesbare Zone {mrz[0].format}, Prüfziffern "
            "gültig): Sonderbehandlung, keine automatische Weiterleitung."
        )
    confidence = match.confidence if match else 0.0
    return RoutingDecision(
        office=office.id if office else None,
        leika_key=(match.leika_key if match else None)
        or (office.leika_key if office else None),
        route=office.route if office else None,
        confidence=round(confidence, 4),
        method=match.method if match else "none",
        reason=" ".join(reasons),
        needs_review=office is None or bool(mrz) or confidence < rules.threshold,
        keep_original=keep_original,
        id_copy=bool(mrz),
    )


def _by_barcode(doc: RoutingInput, rules: RoutingRules) -> Match | None:
    texts = [b.text for b in doc.barcodes if b.format is not BarcodeFormat.PATCH_T]
    return _best(
        Match(
            office=rule.office,
            leika_key=rule.leika_key,
            confidence=rule.confidence,
            method="barcode",
            reason=f"Barcode „{text}“ passt zu „{rule.pattern}“.",
        )
        for rule in rules.barcode
        for text in texts
        if _regex(rule.pattern).search(text)
    )


def _by_pattern(text: str, rules: list[PatternRule], method: str) -> Match | None:
    matches = []
    for rule in rules:
        found = _regex(rule.pattern).search(text)
        if found:
            matches.append(
                Match(
                    office=rule.office,
                    leika_key=rule.leika_key,
                    confidence=rule.confidence,
                    method=method,
                    reason=f"Aktenzeichen „{found.group(0)}“ erkannt.",
                )
            )
    return _best(matches)


def _by_keywords(text: str, rules: list[KeywordRule]) -> Match | None:
    scored: list[tuple[int, Match]] = []
    for rule in rules:
        hits = [k for k in rule.keywords if _word(k).search(text)]
        if len(hits) >= rule.min_hits:
            match = Match(
                office=rule.office,
                leika_key=rule.leika_key,
                confidence=rule.confidence,
                method="keyword",
                reason=f"Stichwörter: {', '.join(hits)}.",
            )
            scored.append((len(hits), match))
    if not scored:
        return None
    most = max(n for n, _ in scored)
    return _best(m for n, m in scored if n == most)


def _by_classifier(text: str, rules: RoutingRules) -> Match | None:
    if not rules.classifier_file:
        return None
    classifier = cached(Path(rules.classifier_file))
    if classifier.examples < rules.classifier_min_examples:
        return None
    prediction = classifier.predict(text)
    if prediction is None or rules.office(prediction.office) is None:
        return None
    return Match(
        office=prediction.office,
        leika_key=None,
        confidence=min(prediction.probability, rules.classifier_max_confidence),
        method="classifier",
        reason=f"Gelernt aus {classifier.examples} korrigierten Dokumenten.",
    )


def _best(matches: Iterable[Match]) -> Match | None:
    """The most confident match; halved confidence if others name other offices."""
    ordered = sorted(matches, key=lambda m: m.confidence, reverse=True)
    if not ordered:
        return None
    best = ordered[0]
    others = sorted({m.office for m in ordered} - {best.office})
    if not others:
        return best
    return msgspec.structs.replace(
        best,
        confidence=best.confidence / 2,
        reason=f"{best.reason} Widersprüchlich: auch {', '.join(others)}.",
    )


def _negative_hit(text: str, keywords: list[str], pattern: str | None) -> bool:
    if any(_word(k).search(text) for k in keywords):
        return True
    return pattern is not None and _regex(pattern).search(text) is not None


def _join_hyphenation(text: str) -> str:
    return re.sub(r"(\w)-\n(\w)", r"\1\2", text)


@lru_cache(maxsize=1024)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


@lru_cache(maxsize=4096)
def _word(keyword: str) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w){re.escape(keyword.strip())}(?!\w)", re.IGNORECASE)
