"""Routing decisions: barcode before file reference before keywords before classifier,
contradictions, thresholds, the negative list and ID-card copies."""

from __future__ import annotations

from pathlib import Path

import msgspec

from appliance.model import Barcode, BarcodeFormat, RoutingInput
from appliance.routing import Classifier, RoutingRules, route

from .test_mrz import NPA_TD1

FINE = "Anhörung zur Ordnungswidrigkeit: Sie haben am 3. Mai falsch geparkt."
BUILDING = "Ihr Bauantrag, Aktenzeichen 63.123/2024, ist eingegangen."


def doc(text: str, *codes: str) -> RoutingInput:
    barcodes = [Barcode(page=1, format=BarcodeFormat.QR, text=c) for c in codes]
    return RoutingInput(text=text, barcodes=barcodes)


def test_barcode_wins_over_text(rules: RoutingRules) -> None:
    """GIVEN a building-office letter carrying the Ordnungsamt routing barcode
    WHEN routed
    THEN the barcode decides, with the office's route and LeiKa key."""
    decision = route(doc(BUILDING, "ROUTE-OA"), rules)
    assert (decision.office, decision.method) == ("ordnungsamt", "barcode")
    assert decision.route == "fit-connect:ordnungsamt"
    assert decision.leika_key == "99001001000000"
    assert decision.confidence == 0.99
    assert not decision.needs_review


def test_unmatched_barcode_is_ignored(rules: RoutingRules) -> None:
    """GIVEN a barcode matching no rule on a building letter
    WHEN routed
    THEN the file reference decides, with the rule's own LeiKa key."""
    decision = route(doc(BUILDING, "ASN000123"), rules)
    assert (decision.office, decision.method) == ("bauamt", "file_reference")
    assert decision.leika_key == "99009001000000"
    assert "63.123/2024" in decision.reason


def test_keywords_need_min_hits(rules: RoutingRules) -> None:
    """GIVEN a rule needing two of its keywords
    WHEN a letter has two, and another only one
    THEN the first is routed, the second waits for a person."""
    decided = route(doc(FINE), rules)
    assert (decided.office, decided.method) == ("ordnungsamt", "keyword")
    assert not decided.needs_review
    undecided = route(doc("Eine Anhörung findet statt."), rules)
    assert undecided.office is None
    assert undecided.needs_review


def test_keywords_match_whole_words_across_hyphenation(rules: RoutingRules) -> None:
    """GIVEN "Geburts-\\nurkunde" split by OCR, and "Geburtsurkundenstelle"
    WHEN routed
    THEN the first matches, the second (not a whole word) does not."""
    assert route(doc("Bitte eine Geburts-\nurkunde."), rules).office == "standesamt"
    assert route(doc("Die Geburtsurkundenstelle"), rules).office is None


def test_contradicting_rules_halve_confidence(rules: RoutingRules) -> None:
    """GIVEN keywords for two offices equally often
    WHEN routed
    THEN the decision is marked contradictory and waits for a person."""
    text = "Anhörung, Ordnungswidrigkeit; Geburtsurkunde, Eheschließung"
    decision = route(doc(text), rules)
    assert "Widersprüchlich" in decision.reason
    assert decision.confidence < rules.threshold
    assert decision.needs_review


def test_threshold_sends_weak_decisions_to_a_person(rules: RoutingRules) -> None:
    """GIVEN a threshold above the keyword rule's confidence
    WHEN routed
    THEN the office is proposed but the document waits."""
    strict = msgspec.structs.replace(rules, threshold=0.9)
    decision = route(doc(FINE), strict)
    assert decision.office == "ordnungsamt"
    assert decision.needs_review


def test_negative_list_keeps_the_original(rules: RoutingRules) -> None:
    """GIVEN a fine letter that is also a Zustellungsurkunde, and court mail
    WHEN routed
    THEN both are marked "Original an Fachamt"; the fine still gets its office."""
    served = route(doc(FINE + "\nZustellungsurkunde"), rules)
    assert served.keep_original
    assert served.office == "ordnungsamt"
    assert "Original an Fachamt" in served.reason
    court = route(doc("Amtsgericht Leipzig, Ladung"), rules)
    assert court.keep_original
    assert not route(doc(FINE), rules).keep_original


def test_id_card_copy_is_never_routed_automatically(rules: RoutingRules) -> None:
    """GIVEN a letter with a barcode rule match and an ID-card copy enclosed
    WHEN routed
    THEN it is flagged as ID copy and waits for a person despite 0.99 confidence."""
    decision = route(doc(f"{FINE}\n{NPA_TD1}", "ROUTE-OA"), rules)
    assert decision.id_copy
    assert decision.needs_review
    assert "Ausweiskopie" in decision.reason


def test_classifier_decides_only_when_trained_enough(
    rules: RoutingRules, tmp_path: Path
) -> None:
    """GIVEN a text no rule matches
    WHEN the classifier has fewer, and then enough, corrected examples
    THEN it first abstains, then proposes the office it learned."""
    text = "Wir beantragen eine Sondernutzung für einen Baukran auf dem Gehweg."
    assert route(doc(text), rules).method == "none"
    classifier = Classifier()
    for _ in range(3):
        classifier.learn("Sondernutzung Gehweg Baukran Genehmigung", "bauamt")
        classifier.learn("Heirat Trauung Namensänderung Urkunde", "standesamt")
    assert rules.classifier_file is not None
    classifier.save(Path(rules.classifier_file))
    decision = route(doc(text), rules)
    assert (decision.office, decision.method) == ("bauamt", "classifier")
    assert decision.confidence <= rules.classifier_max_confidence
    assert decision.route == "dms:posteingang-63"
