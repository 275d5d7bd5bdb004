"""The naive Bayes classifier: learning, prediction, persistence."""

from __future__ import annotations

from pathlib import Path

from appliance.routing.classifier import Classifier, cached


def trained() -> Classifier:
    classifier = Classifier()
    classifier.learn("Hundesteuer Anmeldung Hund Steuerbescheid", "steueramt")
    classifier.learn("Grundsteuer Bescheid Widerspruch Steuer", "steueramt")
    classifier.learn("Sperrmüll Abholung Termin Müll", "abfall")
    classifier.learn("Biotonne Müllgebühren Abfall", "abfall")
    return classifier


def test_predicts_the_office_it_learned_with_a_probability() -> None:
    """GIVEN two offices with two examples each
    WHEN a new text with their words is predicted
    THEN the right office comes with a probability between 0.5 and 1."""
    prediction = trained().predict("Meine Hundesteuer für den Hund")
    assert prediction is not None
    assert prediction.office == "steueramt"
    assert 0.5 < prediction.probability < 1.0


def test_abstains_without_two_offices_or_known_words() -> None:
    """GIVEN one office only, and a text of unseen words
    WHEN predicted
    THEN no prediction."""
    single = Classifier()
    single.learn("Hundesteuer", "steueramt")
    assert single.predict("Hundesteuer") is None
    assert trained().predict("Quantenchromodynamik 12345") is None


def test_a_correction_changes_the_next_prediction() -> None:
    """GIVEN a classifier that sends "Straßenreinigung" nowhere
    WHEN a person corrects three such documents to "abfall"
    THEN the next one is predicted as "abfall"."""
    classifier = trained()
    assert classifier.predict("Straßenreinigung Gebühr") is None
    for _ in range(3):
        classifier.learn("Straßenreinigung Gebühr", "abfall")
    prediction = classifier.predict("Straßenreinigung Gebühr")
    assert prediction is not None
    assert prediction.office == "abfall"


def test_saved_model_reloads_and_cache_follows_changes(tmp_path: Path) -> None:
    """GIVEN a saved classifier
    WHEN loaded through the cache, changed, and saved again
    THEN the cache returns the new counts; a corrupt file routes nothing."""
    path = tmp_path / "classifier.json"
    classifier = trained()
    classifier.save(path)
    assert cached(path).examples == 4
    classifier.learn("Altpapier Tonne", "abfall")
    classifier.save(path)
    assert cached(path).examples == 5
    path.write_text("{kaputt")
    assert cached(path).examples == 0
    assert cached(tmp_path / "missing.json").examples == 0
