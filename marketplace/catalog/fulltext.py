"""User text as FTS5 expressions for the catalog's two text indexes.

``catalog_words`` (unicode61, case and diacritics folded, prefix indexes) and
``catalog_fts`` (trigrams, which find parts of German compounds) hold the same
text (migrations 0002 and 0003). A word the user typed matches an offer when it
begins a word of the offer's text ("Bewohner"), or, from three letters on,
appears anywhere in it ("park" in "Bewohnerparkausweis"). Common spellings are
tried as well: "ss" for "ß" and "ae", "oe", "ue" for "ä", "ö", "ü".

User text never reaches FTS5 syntax: it is cut into runs of letters and digits,
and each run is quoted as an FTS5 string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"[^\W_]+")  # runs of letters and digits
_TRANSCRIBED = re.compile(r"([aou])e")
_UMLAUT = {"a": "ä", "o": "ö", "u": "ü"}
MAX_WORDS = 8
MAX_WORD_LENGTH = 40


@dataclass(frozen=True)
class Term:
    """One word of the user's text as FTS5 expressions for both indexes."""

    words: str  # MATCH expression for catalog_words (prefix match)
    trigrams: str | None  # for catalog_fts (substring match); None below 3 letters


def spellings(word: str) -> list[str]:
    """The word and its common alternative spellings, lower case, no duplicates."""
    word = word.lower()[:MAX_WORD_LENGTH]
    umlauts = _TRANSCRIBED.sub(lambda m: _UMLAUT[m[1]], word)
    candidates = [word, word.replace("ß", "ss"), word.replace("ss", "ß"), umlauts]
    return list(dict.fromkeys(candidates))


def terms(text: str) -> list[Term]:
    """The FTS5 expressions for the first ``MAX_WORDS`` words of ``text``."""
    found = []
    for word in _WORD.findall(text)[:MAX_WORDS]:
        variants = spellings(word)
        long_variants = [v for v in variants if len(v) >= 3]
        found.append(
            Term(
                words=" OR ".join(f"{_quoted(v)}*" for v in variants),
                trigrams=" OR ".join(_quoted(v) for v in long_variants) or None,
            )
        )
    return found


def any_of(expressions: list[str | None]) -> str | None:
    """One expression matching what any of ``expressions`` matches."""
    present = [f"({e})" for e in expressions if e]
    return " OR ".join(present) or None


def _quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'
