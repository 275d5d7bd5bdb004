"""Catalog search: FTS5 (trigram) over the current published offer versions,
filters, facet counts and relevance order, in two queries per search.

User text never reaches FTS5 syntax: each word of three or more characters becomes
a quoted phrase (substring match thanks to the trigram tokenizer), shorter words
are matched with LIKE, and all words must match.
"""

from __future__ import annotations

import re
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
    " WHEN v.reference_annual_cents < 100000 THEN 'bis-1000'"
    " WHEN v.reference_annual_cents < 500000 THEN '1000-5000'"
    " WHEN v.reference_annual_cents < 2000000 THEN '5000-20000'"
    " ELSE 'ueber-20000' END"
)
_WORD = re.compile(r"\w+", re.UNICODE)
MAX_WORDS = 8


def fts_query(text: str) -> tuple[str | None, list[str]]:
    """(FTS5 MATCH expression or None, short words for LIKE) from user text."""
    words = _WORD.findall(text.lower())[:MAX_WORDS]
    long_words = [w for w in words if len(w) >= 3]
    short_words = [w for w in words if len(w) < 3]
    match = " AND ".join(f'"{w}"' for w in long_words) or None
    return match, short_words


def _filtered(query: SearchQuery) -> tuple[str, list[Any]]:
    """The CTE body selecting matching current versions with their facet columns."""
    match, short_words = fts_query(query.q)
    params: list[Any] = []
    sql = (
        "SELECT v.id AS vid, o.id AS offer_id, s.id AS service_id,"
        " COALESCE(v.land_code, p.land_code) AS land, s.topic AS topic,"
        " p.id AS provider, s.maturity AS maturity, "
        f"{_BAND_SQL} AS band, "
        + ("bm25(catalog_fts, 10.0, 6.0, 1.0)" if match else "0.0")
        + " AS rank FROM catalog_current cc"
        " JOIN offer_versions v ON v.id = cc.offer_version_id"
        " JOIN offers o ON o.id = cc.offer_id"
        " JOIN services s ON s.id = o.service_id"
        " JOIN providers p ON p.id = o.provider_id"
    )
    if match:
        sql += " JOIN catalog_fts ON catalog_fts.rowid = v.id AND catalog_fts MATCH ?"
        params.append(match)
    sql += " WHERE o.withdrawn_at IS NULL"
    for word in short_words:
        sql += " AND (lower(v.title) LIKE ? OR lower(s.title) LIKE ?)"
        params += [f"%{word}%", f"%{word}%"]
    filters = {
        "COALESCE(v.land_code, p.land_code) = ?": query.land,
        "s.topic = ?": query.topic,
        "p.id = ?": query.provider,
        "s.maturity = ?": query.maturity,
        f"{_BAND_SQL} = ?": query.price_band,
        "s.leika_key = ?": query.leika_key,
        "EXISTS (SELECT 1 FROM service_life_situations l WHERE l.service_id = s.id"
        " AND l.life_situation = ?)": query.life_situation,
    }
    for clause, value in filters.items():
        if value is not None:
            sql += f" AND {clause}"
            params.append(value)
    return sql, params


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
    filtered, params = _filtered(query)
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
    filtered, params = _filtered(query)
    offset = (query.page - 1) * query.per_page
    async with conn.execute(
        _PAGE_SQL.format(filtered=filtered), [*params, query.per_page, offset]
    ) as cur:
        rows = await cur.fetchall()
    return [
        SearchHit(
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
        for row in rows
    ]


def facet_values(
    counts: dict[str, int], labels: dict[str, str] | None = None
) -> list[FacetValue]:
    """Counts as facet values, largest first, labelled for the pages."""
    labels = labels or {}
    return [
        FacetValue(value=value, label=labels.get(value, value), count=count)
        for value, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
