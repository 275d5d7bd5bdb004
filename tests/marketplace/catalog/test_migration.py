"""Upgrading a database written before the search migration (0003)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from marketplace.catalog import service
from marketplace.catalog.schemas import SearchQuery
from marketplace.db import Database
from marketplace.db.migrations import _split_statements, available_migrations

NOW = "2026-01-01T00:00:00+00:00"
VERSION_2_ROWS = """
INSERT INTO laender VALUES ('14', 'SN', 'Sachsen', 4086152);
INSERT INTO providers (id, name, kind, land_code, created_at)
    VALUES ('lecos', 'Lecos GmbH', 'public_it_provider', '14', '2026-01-01');
INSERT INTO services (id, leika_key, title, ozg_bundle, topic, maturity,
    trust_level, delivery_standard, has_test_instance, created_at)
    VALUES (7, '99990000001000', 'Bewohnerparkausweis', 'Parken',
    'Mobilität & Reisen', 3, 'substantiell', 'PDF', 1, '2026-01-01');
INSERT INTO service_life_situations VALUES (7, 'Umzug');
INSERT INTO offers (id, provider_id, service_id, created_at)
    VALUES (3, 'lecos', 7, '2026-01-01');
INSERT INTO offer_versions (id, offer_id, version, status, title,
    description, legal_route, cost_model, contract_template,
    notice_period_months, created_at, published_at, reference_annual_cents)
    VALUES (11, 3, 1, 'published', 'Parken für Anwohner', 'Führung inklusive',
    'direct',
    '{"components": [{"kind": "annual_flat", "label": "B", "amount_cents": 0}]}',
    'Vertrag zwischen {{anbieter}} und {{kommune}}', 3, '2026-01-01', '2026-01-01', 0);
INSERT INTO catalog_current (offer_id, offer_version_id) VALUES (3, 11);
INSERT INTO catalog_fts (rowid, title, service_title, body)
    VALUES (11, 'Parken für Anwohner', 'Bewohnerparkausweis',
    'Lecos GmbH Führung inklusive Umzug');
"""


def write_version_2_catalog(path: Path) -> None:
    """A file at schema version 2 with one published offer, indexed as 0002 did."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
        " name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    for version, name, sql in available_migrations():
        if version <= 2:
            for statement in _split_statements(sql):
                conn.execute(statement)
            conn.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?)", (version, name, NOW)
            )
    conn.executescript(VERSION_2_ROWS)
    conn.close()


async def test_a_version_2_file_is_upgraded_and_searchable(tmp_path: Path) -> None:
    """GIVEN a catalog written at schema version 2 WHEN opened by this version THEN
    its offer has its facet values, is found by word prefix without umlauts and
    by word part, and counts in its facets."""
    path = tmp_path / "old.sqlite3"
    write_version_2_catalog(path)
    async with Database(path, readers=1) as db:
        assert db.schema_version >= 3
        for text in ("fuhrung", "anwohn", "park"):
            found = await service.search_catalog(db, None, SearchQuery(q=text))
            assert [hit.offer_id for hit in found.hits] == [3], text
        page = await service.search_catalog(db, None, SearchQuery())
    assert page.total == 1
    facets = {
        name: [(v.value, v.count) for v in values]
        for name, values in page.facets.items()
    }
    assert facets == {
        "land": [("14", 1)],
        "topic": [("Mobilität & Reisen", 1)],
        "provider": [("lecos", 1)],
        "maturity": [("3", 1)],
        "price_band": [("kostenfrei", 1)],
        "life_situation": [("Umzug", 1)],
    }
