"""Catalog search over the current published offer versions: full text, facet
filters, facet counts and relevance order, in two queries per search.

Two FTS5 indexes hold the same text (see migrations 0002 and 0003):
``catalog_words`` (unicode61, case and diacritics folded, prefix indexes) and
``catalog_fts`` (trigrams, which find parts of German compounds). A word the user
typed matches an offer when it begins a word of the offer's text ("Bewohner"),
or, from three letters on, appears anywhere in it ("park" in
"Bewohnerparkausweis"); all words must match. Common spellings are tried as well:
"ss" for "ß" and "ae", "oe", "ue" for "ä", "ö", "ü". Relevance is the sum of both
bm25 scores with titles weighted above the body, so whole-word matches in a
title come first.

User text never reaches FTS5 syntax: it is cut into runs of letters and digits,
and each run is quoted as an FTS5 string.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import msgspec

from marketplace.catalog.schemas import FacetValue, SearchHit, SearchQuery
from marketplace.costs.schemas import CostModel
from marketplace.db import Connection

PRICE_BANDS = {
    "kostenfrei": "kostenfrei",
    "bis-1000": "bis 1.000 €",
    "1000-5000": "1.000 – 5.000 €",
    "5000-20000": "5.000 – 20.000 €",
    "ueber-20000": "über 20.000 €",
    "unbekannt": "ohne Richtpreis",
}
_BAND_SQL = (
    "CASE WHEN v.reference_annual_cents IS NULL THEN 'unbekannt'"
    " WHEN v.reference_annual_cents = 0 THEN 'kostenfrei'"
    " WHEN v.reference_annual_cents <= 100000 THEN 'bis-1000'"
    " WHEN v.reference_annual_cents <= 500000 THEN '1000-5000'"
    " WHEN v.reference_annual_cents <= 2000000 THEN '5000-20000'"
    " ELSE 'ueber-20000' END"
)
_WEIGHTS = "10.0, 8.0, 1.0"  # title, service_title, body
_WORD = re.compile(r"[^\W_]+")  # runs of letters and digits
_TRANSCRIBED = re.compile(r"([aou])e")
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
    umlauts = _TRANSCRIBED.sub(lambda m: {"a": "ä", "o": "ö", "u": "ü"}[m[1]], word)
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


def _quoted(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _any_of(expressions: list[str | None]) -> str | None:
    present = [f"({e})" for e in expressions if e]
    return " OR ".join(present) or None


def _filtered(query: SearchQuery, *, ranked: bool) -> tuple[str, list[Any]]:
    """The CTE body selecting matching current versions with their facet columns;
    with ``ranked`` also their relevance (lower is better)."""
    found = terms(query.q)
    params: list[Any] = []
    rank = "0.0"
    sql = ""
    if ranked and found:
        rank = "COALESCE(w.score, 0.0)"
        sql += _rank_join("catalog_words", "w")
        params.append(_any_of([t.words for t in found]))
        trigrams = _any_of([t.trigrams for t in found])
        if trigrams:
            rank += " + COALESCE(t.score, 0.0)"
            sql += _rank_join("catalog_fts", "t")
            params.append(trigrams)
    sql = (
        "SELECT v.id AS vid, o.id AS offer_id, s.id AS service_id,"
        " COALESCE(v.land_code, p.land_code) AS land, s.topic AS topic,"
        f" p.id AS provider, s.maturity AS maturity, {_BAND_SQL} AS band,"
        f" {rank} AS rank FROM catalog_current cc"
        " JOIN offer_versions v ON v.id = cc.offer_version_id"
        " JOIN offers o ON o.id = cc.offer_id"
        " JOIN services s ON s.id = o.service_id"
        " JOIN providers p ON p.id = o.provider_id" + sql
    )
    sql += " WHERE o.withdrawn_at IS NULL"
    for term in found:
        sql += (
            " AND v.id IN (SELECT rowid FROM catalog_words WHERE catalog_words MATCH ?"
        )
        params.append(term.words)
        if term.trigrams:
            sql += " UNION SELECT rowid FROM catalog_fts WHERE catalog_fts MATCH ?"
            params.append(term.trigrams)
        sql += ")"
    for clause, value in _filters(query).items():
        if value is not None:
            sql += f" AND {clause}"
            params.append(value)
    return sql, params


def _rank_join(table: str, alias: str) -> str:
    return (
        f" LEFT JOIN (SELECT rowid AS id, bm25({table}, {_WEIGHTS}) AS score"
        f" FROM {table} WHERE {table} MATCH ?) {alias} ON {alias}.id = v.id"
    )


def _filters(query: SearchQuery) -> dict[str, object]:
    return {
        "COALESCE(v.land_code, p.land_code) = ?": query.land,
        "s.topic = ?": query.topic,
        "p.id = ?": query.provider,
        "s.maturity = ?": query.maturity,
        f"{_BAND_SQL} = ?": query.price_band,
        "s.leika_key = ?": query.leika_key,
        "s.id IN (SELECT service_id FROM service_life_situations"
        " WHERE life_situation = ?)": query.life_situation,
    }


_FACETS_SQL = """
WITH m AS MATERIALIZED ({filtered})
SELECT 'total', NULL, COUNT(*) FROM m
UNION ALL SELECT 'land', land, COUNT(*) FROM m WHERE land IS NOT NULL GROUP BY land
UNION ALL SELECT 'topic', topic, COUNT(*) FROM m GROUP BY topic
UNION ALL SELECT 'provider', provider, COUNT(*) FROM m GROUP BY provider
UNION ALL SELECT 'maturity', maturity, COUNT(*) FROM m GROUP BY maturity
UNION ALL SELECT 'price_band', band, COUNT(*) FROM m GROUP BY band
UNION ALL SELECT 'life_situation', l.life_situation, COUNT(*) FROM m
  JOIN service_life_situations l ON l.service_id = m.service_id
  GROUP BY l.life_situation
"""

_PAGE_SQL = """
WITH m AS ({filtered})
SELECT m.vid, m.offer_id, v.version, v.title, s.id AS service_id,
  s.title AS service_title, s.leika_key, s.topic, s.maturity, s.trust_level,
  p.id AS provider_id, p.name AS provider_name, m.land AS land_code, v.legal_route,
  v.reference_annual_cents, v.cost_model
FROM m JOIN offer_versions v ON v.id = m.vid
JOIN services s ON s.id = m.service_id JOIN providers p ON p.id = m.provider
ORDER BY m.rank, s.title, p.name, m.vid
LIMIT ? OFFSET ?
"""


async def facet_counts(
    conn: Connection, query: SearchQuery
) -> tuple[int, dict[str, dict[str, int]]]:
    """Total matches and, per facet, value -> count over the filtered set."""
    filtered, params = _filtered(query, ranked=False)
    total = 0
    facets: dict[str, dict[str, int]] = {}
    async with conn.execute(_FACETS_SQL.format(filtered=filtered), params) as cur:
        for name, value, count in await cur.fetchall():
            if name == "total":
                total = int(count)
            else:
                facets.setdefault(name, {})[str(value)] = int(count)
    return total, facets


async def page_of_hits(conn: Connection, query: SearchQuery) -> list[SearchHit]:
    """One page of matches, most relevant first (without a text: by title)."""
    filtered, params = _filtered(query, ranked=True)
    offset = (query.page - 1) * query.per_page
    async with conn.execute(
        _PAGE_SQL.format(filtered=filtered), [*params, query.per_page, offset]
    ) as cur:
        rows = await cur.fetchall()
    return [_hit(row) for row in rows]


def _hit(row: Any) -> SearchHit:
    return SearchHit(
        offer_id=row["offer_id"],
        offer_version_id=row["vid"],
        version=row["version"],
        title=row["title"],
        service_id=row["service_id"],
        service_title=row["service_title"],
        leika_key=row["leika_key"],
        topic=row["topic"],
        maturity=row["maturity"],
        trust_level=row["trust_level"],
        provider_id=row["provider_id"],
        provider_name=row["provider_name"],
        land_code=row["land_code"],
        legal_route=row["legal_route"],
        reference_annual_cents=row["reference_annual_cents"],
        cost_model=msgspec.json.decode(row["cost_model"], type=CostModel),
    )


def facet_values(
    counts: dict[str, int], labels: dict[str, str] | None = None
) -> list[FacetValue]:
    """Counts as facet values, largest first, labelled for the pages."""
    labels = labels or {}
    return [
        FacetValue(value=value, label=labels.get(value, value), count=count)
        for value, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
