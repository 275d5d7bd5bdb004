"""Whole search pages, kept for as long as the catalog does not change.

A search answer (hits, total, facet counts) is a function of the query and of
what is in the catalog: the rows of ``catalog_current`` and the published
versions, services and providers they point to, which never change after they
are written (triggers refuse changes to published versions; there is no API to
change services or providers). Every change to ``catalog_current``
(publishing, withdrawing, a replica applying another node's entry) raises
``catalog_generation`` in the same transaction, so the generation names the
catalog's state exactly, for every connection and every worker process: it is a
committed row, not a per-connection counter.

``SearchCache`` therefore keeps, for one generation, the pages it assembled
(without buyers' prices, which depend on the caller) and the facet counts of
their queries. A search reads the generation first (one statement); a page
cached for that generation is the answer. Otherwise the counts (cached or not)
and the page are read in one snapshot whose own generation decides where the
result is kept: a page read under an older generation than the newest one seen
is answered but not kept, and seeing a newer generation drops everything.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

from marketplace.catalog import search
from marketplace.catalog.fulltext import terms
from marketplace.catalog.repository import snapshot
from marketplace.catalog.rules import LAND_NAMES
from marketplace.catalog.schemas import SearchHit, SearchPage, SearchQuery
from marketplace.db import Connection

K = TypeVar("K")
V = TypeVar("V")
FacetKey = tuple[object, ...]
PageKey = tuple[FacetKey, int, int]
_MATURITY_LABELS = {str(n): f"Reifegrad {n}" for n in range(5)}


class _Lru(Generic[K, V]):
    """A dict that drops its least recently used entries beyond ``size``."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
        return found

    def put(self, key: K, value: V) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self._size:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


class SearchCache:
    """Search pages and facet counts of one catalog generation (per open
    database, so per worker process). Pages are shared between callers and must
    not be changed; hits appearing on several pages are held once."""

    def __init__(self, *, pages: int = 1024, counts: int = 2048) -> None:
        self.generation = -1
        self._pages: _Lru[PageKey, SearchPage] = _Lru(pages)
        self._counts: _Lru[FacetKey, search.FacetCounts] = _Lru(counts)
        self._hits: dict[int, SearchHit] = {}

    async def page(self, conn: Connection, query: SearchQuery) -> SearchPage:
        """The page ``query`` asks for (without prices), as the catalog is now."""
        key = facet_key(query)
        page_key = (key, query.page, query.per_page)
        if self._advance(await search.generation(conn)):
            found = self._pages.get(page_key)
            if found is not None:
                return found
        async with snapshot(conn):
            seen = await search.generation(conn)
            counts = self._counts.get(key) if self._advance(seen) else None
            if counts is None:
                counts = await search.facet_counts(conn, query)
            hits = await search.page_of_hits(conn, query)
        if not self._advance(seen):  # a newer generation was seen meanwhile
            return assemble(query, counts, hits)
        self._counts.put(key, counts)
        hits = [self._hits.setdefault(hit.offer_version_id, hit) for hit in hits]
        page = assemble(query, counts, hits)
        self._pages.put(page_key, page)
        return page

    def _advance(self, seen: int) -> bool:
        """Note a generation read from the database; True if it is the newest
        seen, whose entries this cache holds."""
        if seen > self.generation:
            self.generation = seen
            self._pages.clear()
            self._counts.clear()
            self._hits.clear()
        return seen == self.generation

    def __len__(self) -> int:
        """The number of pages held."""
        return len(self._pages)


def assemble(
    query: SearchQuery, counts: search.FacetCounts, hits: list[SearchHit]
) -> SearchPage:
    """The answer: counts as labelled facet values, largest first, and the hits."""
    labels = {
        "land": LAND_NAMES,
        "provider": counts.provider_names,
        "price_band": search.PRICE_BANDS,
        "maturity": _MATURITY_LABELS,
    }
    return SearchPage(
        total=counts.total,
        page=query.page,
        per_page=query.per_page,
        hits=hits,
        facets={
            name: search.facet_values(values, labels.get(name))
            for name, values in counts.facets.items()
        },
    )


def facet_key(query: SearchQuery) -> FacetKey:
    """What decides a query's matches and their order (not its page): the text
    as its FTS5 expressions (so "Park" and "park" are one entry) and the
    filters."""
    return (
        tuple((t.words, t.trigrams) for t in terms(query.q)),
        query.land,
        query.topic,
        query.life_situation,
        query.provider,
        query.maturity,
        query.price_band,
        query.leika_key,
    )
