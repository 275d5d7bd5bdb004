"""Catalog search over the current published offer versions: full text (see
``fulltext``), facet filters, facet counts and relevance order.

``catalog_current`` holds one row per offer in the catalog with its facet values,
so filtering and counting read one narrow table. Relevance is the bm25 score in
the word index (titles weighted above the body) for offers where every word
begins a word of the text; offers matched by parts of words follow. Without a
text the order is by service title and provider. ``generation`` reads the
counter the database raises with every change to ``catalog_current``;
``search_cache`` keeps what is computed here per generation.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from marketplace.catalog.fulltext import Term, terms
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
# The band of a version's Richtpreis (``v``: offer_versions), as set_current stores it.
BAND_SQL = (
    "CASE WHEN v.reference_annual_cents IS NULL THEN 'unbekannt'"
    " WHEN v.reference_annual_cents = 0 THEN 'kostenfrei'"
    " WHEN v.reference_annual_cents <= 100000 THEN 'bis-1000'"
    " WHEN v.reference_annual_cents <= 500000 THEN '1000-5000'"
    " WHEN v.reference_annual_cents <= 2000000 THEN '5000-20000'"
    " ELSE 'ueber-20000' END"
)
_WEIGHTS = "10.0, 8.0, 1.0"  # title, service_title, body


@dataclass(frozen=True)
class FacetCounts:
    """The number of matches, value -> count per facet, and the names of the
    providers counted (their facet's labels)."""

    total: int
    facets: dict[str, dict[str, int]]
    provider_names: dict[str, str]


def _matches(query: SearchQuery, *, ranked: bool) -> tuple[str, list[Any]]:
    """``WITH ... m AS (...)``: the matching offers with their facet columns;
    with ``ranked`` also their relevance (lower is better)."""
    found = terms(query.q)
    params: list[Any] = []
    ctes, rank, source = "WITH", "0.0", "catalog_current cc"
    filtering = found
    if ranked and found:
        # The matches of the longest word, with their scores, drive the join;
        # the other words filter.
        driver = max(found, key=lambda t: len(t.words))
        filtering = [t for t in found if t is not driver]
        ctes = f"WITH sc AS MATERIALIZED ({_scores_sql(driver, len(found))}),"
        rank = "sc.score"
        source = "sc CROSS JOIN catalog_current cc ON cc.offer_version_id = sc.id"
        params.append(" AND ".join(f"({t.words})" for t in found))
        params += [driver.words] if len(found) > 1 else []
        params += [driver.trigrams] if driver.trigrams else []
    sql = (
        "SELECT cc.offer_version_id AS vid, cc.offer_id, cc.service_id,"
        " cc.land_code AS land, cc.topic, cc.provider_id AS provider, cc.maturity,"
        f" cc.price_band AS band, cc.sort_key, {rank} AS rank FROM {source} WHERE 1"
    )
    for term in filtering:
        sql += " AND cc.offer_version_id IN (SELECT rowid FROM catalog_words"
        sql += " WHERE catalog_words MATCH ?"
        params.append(term.words)
        if term.trigrams:
            sql += " UNION SELECT rowid FROM catalog_fts WHERE catalog_fts MATCH ?"
            params.append(term.trigrams)
        sql += ")"
    for clause, value in _filters(query).items():
        if value is not None:
            sql += f" AND {clause}"
            params.append(value)
    materialized = "" if ranked else "MATERIALIZED "
    return f"{ctes} m AS {materialized}({sql})", params


def _scores_sql(driver: Term, words: int) -> str:
    """The driving word's matches with their relevance: the bm25 score in the
    word index where all ``words`` begin words of the text, else 0 (after those)."""
    parts = [
        f"SELECT rowid AS id, bm25(catalog_words, {_WEIGHTS}) AS score"
        " FROM catalog_words WHERE catalog_words MATCH ?"
    ]
    if words > 1:  # else the first part has all the driver's word matches
        parts.append("SELECT rowid, 0.0 FROM catalog_words WHERE catalog_words MATCH ?")
    if driver.trigrams:
        parts.append("SELECT rowid, 0.0 FROM catalog_fts WHERE catalog_fts MATCH ?")
    if len(parts) == 1:  # rowids are unique; and bm25 must not be flattened away
        return parts[0]
    return (
        f"SELECT id, MIN(score) AS score FROM ({' UNION ALL '.join(parts)}) AS found"
        " GROUP BY id"
    )


def _filters(query: SearchQuery) -> dict[str, object]:
    return {
        "cc.land_code = ?": query.land,
        "cc.topic = ?": query.topic,
        "cc.provider_id = ?": query.provider,
        "cc.maturity = ?": query.maturity,
        "cc.price_band = ?": query.price_band,
        "cc.leika_key = ?": query.leika_key,
        "cc.service_id IN (SELECT service_id FROM service_life_situations"
        " WHERE life_situation = ?)": query.life_situation,
    }


_FACETS_SQL = """
{matches}
SELECT 'total', NULL, COUNT(*) FROM m
UNION ALL SELECT 'land', land, COUNT(*) FROM m WHERE land IS NOT NULL GROUP BY land
UNION ALL SELECT 'topic', topic, COUNT(*) FROM m GROUP BY topic
UNION ALL SELECT 'provider', provider, COUNT(*) FROM m GROUP BY provider
UNION ALL SELECT 'maturity', CAST(maturity AS TEXT), COUNT(*) FROM m GROUP BY maturity
UNION ALL SELECT 'price_band', band, COUNT(*) FROM m GROUP BY band
UNION ALL SELECT 'life_situation', l.life_situation, COUNT(*) FROM m
  JOIN service_life_situations l ON l.service_id = m.service_id
  GROUP BY l.life_situation
"""

_BROWSE_FACETS = {
    "total": "SELECT 'total', NULL, COUNT(*) FROM catalog_current cc WHERE 1{where}",
    "land": "SELECT 'land', land_code, COUNT(*) FROM catalog_current cc"
    " WHERE land_code IS NOT NULL{where} GROUP BY land_code",
    "topic": "SELECT 'topic', topic, COUNT(*) FROM catalog_current cc WHERE 1{where}"
    " GROUP BY topic",
    "provider": "SELECT 'provider', provider_id, COUNT(*) FROM catalog_current cc"
    " WHERE 1{where} GROUP BY provider_id",
    "maturity": "SELECT 'maturity', CAST(maturity AS TEXT), COUNT(*)"
    " FROM catalog_current cc"
    " WHERE 1{where} GROUP BY maturity",
    "price_band": "SELECT 'price_band', price_band, COUNT(*) FROM catalog_current cc"
    " WHERE 1{where} GROUP BY price_band",
    "life_situation": "SELECT 'life_situation', l.life_situation, COUNT(*)"
    " FROM catalog_current cc JOIN service_life_situations l"
    " ON l.service_id = cc.service_id WHERE 1{where} GROUP BY l.life_situation",
}


def _browse_facets(query: SearchQuery) -> tuple[str, list[Any]]:
    """Facet counts without a text: each facet grouped straight from its index
    (no intermediate table to sort), the filters repeated in each part."""
    clauses = [(c, v) for c, v in _filters(query).items() if v is not None]
    where = "".join(f" AND {clause}" for clause, _ in clauses)
    values = [value for _, value in clauses]
    parts = [part.format(where=where) for part in _BROWSE_FACETS.values()]
    return " UNION ALL ".join(parts), values * len(parts)


_PAGE_SQL = """
{matches}, page AS (SELECT * FROM m ORDER BY {order} LIMIT ? OFFSET ?)
SELECT page.vid, page.offer_id, v.version, v.title, s.id AS service_id,
  s.title AS service_title, s.leika_key, s.topic, s.maturity, s.trust_level,
  p.id AS provider_id, p.name AS provider_name, page.land AS land_code,
  v.legal_route, v.reference_annual_cents, v.cost_model, o.home_node
FROM page JOIN offer_versions v ON v.id = page.vid JOIN offers o ON o.id = page.offer_id
JOIN services s ON s.id = page.service_id JOIN providers p ON p.id = page.provider
ORDER BY {order}
"""


async def generation(conn: Connection) -> int:
    """The catalog's generation: changes whenever an offer enters or leaves it."""
    rows = list(
        await conn.execute_fetchall("SELECT generation FROM catalog_generation")
    )
    return int(rows[0][0]) if rows else 0


async def facet_counts(conn: Connection, query: SearchQuery) -> FacetCounts:
    """Total matches and, per facet, value -> count over the filtered set."""
    if terms(query.q):
        matches, params = _matches(query, ranked=False)
        sql = _FACETS_SQL.format(matches=matches)
    else:
        sql, params = _browse_facets(query)
    total = 0
    facets: dict[str, dict[str, int]] = {}
    for name, value, count in await conn.execute_fetchall(sql, params):
        if name == "total":
            total = int(count)
        else:
            facets.setdefault(name, {})[str(value)] = int(count)
    names = await _provider_names(conn, list(facets.get("provider", {})))
    return FacetCounts(total=total, facets=facets, provider_names=names)


async def _provider_names(conn: Connection, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    marks = ",".join("?" * len(ids))
    sql = f"SELECT id, name FROM providers WHERE id IN ({marks})"
    return {row[0]: row[1] for row in await conn.execute_fetchall(sql, ids)}


async def page_of_hits(conn: Connection, query: SearchQuery) -> list[SearchHit]:
    """One page of matches, most relevant first (without a text: by title)."""
    matches, params = _matches(query, ranked=True)
    order = "rank, sort_key, vid" if terms(query.q) else "sort_key, vid"
    offset = (query.page - 1) * query.per_page
    sql = _PAGE_SQL.format(matches=matches, order=order)
    rows = await conn.execute_fetchall(sql, [*params, query.per_page, offset])
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
        home_node=row["home_node"],
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
