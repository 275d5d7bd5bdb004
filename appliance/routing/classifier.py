"""A multinomial naive Bayes classifier trained on decisions people corrected.

When no rule names an office, the station asks this classifier. It learns from
every document a person approved or corrected (``learn``), is written to a JSON
file atomically after each lesson, and is reloaded by ``route`` when the file
changes. Tokens are lower-case words of at least three letters; numbers and
Aktenzeichen belong to the rules, not to the classifier.
"""

from __future__ import annotations

import logging
import math
import os
import re
from collections import Counter
from pathlib import Path

import msgspec

log = logging.getLogger(__name__)

_TOKEN = re.compile(r"[^\W\d_]{3,}")


def tokens(text: str) -> list[str]:
    return [t.casefold() for t in _TOKEN.findall(text)]


class Prediction(msgspec.Struct, kw_only=True, frozen=True):
    office: str
    probability: float


class Model(msgspec.Struct, kw_only=True):
    """The persisted counts; everything else is computed from them."""

    version: int = 1
    documents: dict[str, int] = {}
    words: dict[str, dict[str, int]] = {}


class Classifier:
    """Naive Bayes with Laplace smoothing over the offices it has seen."""

    def __init__(self, model: Model | None = None) -> None:
        self.model = model or Model()

    @property
    def examples(self) -> int:
        return sum(self.model.documents.values())

    def learn(self, text: str, office: str) -> None:
        """Add one corrected document to the counts."""
        model = self.model
        model.documents[office] = model.documents.get(office, 0) + 1
        counts = model.words.setdefault(office, {})
        for token, n in Counter(tokens(text)).items():
            counts[token] = counts.get(token, 0) + n

    def predict(self, text: str) -> Prediction | None:
        """The most probable office and its posterior probability, or ``None``.

        ``None`` when the classifier knows fewer than two offices or the text has
        no word it has ever seen.
        """
        model = self.model
        if len(model.documents) < 2:
            return None
        words = [t for t in tokens(text) if self._known(t)]
        if not words:
            return None
        vocabulary = len({w for counts in model.words.values() for w in counts})
        total_docs = self.examples
        scores: dict[str, float] = {}
        for office, docs in model.documents.items():
            counts = model.words.get(office, {})
            denominator = sum(counts.values()) + vocabulary
            score = math.log(docs / total_docs)
            for word in words:
                score += math.log((counts.get(word, 0) + 1) / denominator)
            scores[office] = score
        best = max(scores, key=lambda o: scores[o])
        top = scores[best]
        normaliser = sum(math.exp(s - top) for s in scores.values())
        return Prediction(office=best, probability=1.0 / normaliser)

    def _known(self, token: str) -> bool:
        return any(token in counts for counts in self.model.words.values())

    @classmethod
    def load(cls, path: Path) -> Classifier:
        """The classifier stored at ``path``; an empty one if there is none yet."""
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return cls()
        return cls(msgspec.json.decode(raw, type=Model))

    def save(self, path: Path) -> None:
        """Write atomically: a crash leaves the old or the new file, never half."""
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        with tmp.open("wb") as fh:
            fh.write(msgspec.json.encode(self.model))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)


_cache: dict[Path, tuple[tuple[int, int], Classifier]] = {}


def cached(path: Path) -> Classifier:
    """The classifier at ``path``, reread only when the file changed."""
    try:
        stat = path.stat()
    except FileNotFoundError:
        return Classifier()
    key = (stat.st_mtime_ns, stat.st_size)
    hit = _cache.get(path)
    if hit is None or hit[0] != key:
        try:
            hit = (key, Classifier.load(path))
        except msgspec.DecodeError:
            # An unreadable model routes nothing: documents wait for a person.
            log.warning("classifier file %s is unreadable", path, exc_info=True)
            hit = (key, Classifier())
        _cache[path] = hit
    return hit[1]


def record_correction(path: Path, text: str, office: str) -> Classifier:
    """Teach the classifier at ``path`` one decision a person made, and save it."""
    classifier = Classifier.load(path) if path.exists() else Classifier()
    classifier.learn(text, office)
    classifier.save(path)
    return classifier
