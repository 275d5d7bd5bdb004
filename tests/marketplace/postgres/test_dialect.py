"""The SQLite-to-PostgreSQL statement translation (``marketplace.db.dialect``),
and the CLI's refusal to share SQLite between workers."""

from __future__ import annotations

import pytest

from marketplace.cli import main
from marketplace.db.dialect import translate

NONE: frozenset[str] = frozenset()


@pytest.mark.parametrize(
    ("sql", "params", "expected", "values"),
    [
        ("SELECT a FROM t WHERE b = ? AND c = ?", (1, "x"),
         "SELECT a FROM t WHERE b = $1::bigint AND c = $2::text", [1, "x"]),
        ("SELECT 1 WHERE (? IS NULL OR e = ?)", (None, None),
         "SELECT 1 WHERE (NULL IS NULL OR e = NULL)", []),
        ("SELECT ?2, ?1, ?1", ("a", 2.5),
         "SELECT $1::float8, $2::text, $2::text", [2.5, "a"]),
        ("SELECT :a, :b, :a", {"a": b"\x00", "b": True},
         "SELECT $1::bytea, $2::bigint, $1::bytea", [b"\x00", 1]),
        ("SELECT '?', ':x', 'it''s ?' FROM t WHERE n LIKE ?", ("a%",),
         "SELECT '?', ':x', 'it''s ?' FROM t WHERE n ILIKE $1::text", ["a%"]),
        ("INSERT OR IGNORE INTO laender VALUES (?)", ("14",),
         "INSERT INTO laender VALUES ($1::text) ON CONFLICT DO NOTHING", ["14"]),
        ("SELECT id FROM o WHERE 1 LIMIT 1 /*pg: FOR UPDATE SKIP LOCKED*/", None,
         "SELECT id FROM o WHERE TRUE LIMIT 1  FOR UPDATE SKIP LOCKED ", []),
        ("SELECT rowid FROM catalog_words WHERE catalog_words MATCH ?", ('"a"*',),
         "SELECT rowid FROM catalog_words WHERE fts_match(catalog_words, $1::text)",
         ['"a"*']),
        ("SELECT s.t || char(31) FROM a CROSS JOIN b ON b.x = a.x", (),
         "SELECT s.t || chr(31) FROM a JOIN b ON b.x = a.x", []),
        ("BEGIN", None, "BEGIN ISOLATION LEVEL REPEATABLE READ", []),
        ("SELECT a FROM t WHERE 1 = 1 AND b IS ? AND c IS ?2 AND d IS NULL", (3, 4),
         "SELECT a FROM t WHERE 1 = 1 AND b IS NOT DISTINCT FROM $1::bigint"
         " AND c IS NOT DISTINCT FROM $2::bigint AND d IS NULL", [3, 4]),
        ("SELECT 1 WHERE seq IS :s", {"s": None},
         "SELECT 1 WHERE seq IS NOT DISTINCT FROM NULL", []),
    ],
)  # fmt: skip
def test_statements_translate(
    sql: str, params: object, expected: str, values: list[object]
) -> None:
    """GIVEN a repository statement in SQLite's dialect and its parameters
    WHEN it is translated THEN placeholders are typed $n (NULL inline), string
    literals are untouched and the SQLite-only constructs are rewritten."""
    assert translate(sql, params, NONE) == (expected, values)  # type: ignore[arg-type]


def test_inserts_into_tables_with_generated_ids_return_them() -> None:
    """GIVEN a table with a generated id WHEN a row is inserted THEN the statement
    returns the id (for ``lastrowid``); other tables are left alone."""
    ids = frozenset({"users"})
    assert translate("INSERT INTO users (a) VALUES (?)", ("x",), ids)[0].endswith(
        "RETURNING id"
    )
    assert (
        "RETURNING"
        not in translate("INSERT INTO laender (a) VALUES (?)", ("x",), ids)[0]
    )


def test_a_wrong_number_of_values_is_refused() -> None:
    """GIVEN a statement with two placeholders WHEN three values come THEN it is
    refused before it reaches the database."""
    with pytest.raises(ValueError, match="2 values, 3 given"):
        translate("SELECT ?, ?", (1, 2, 3), NONE)


def test_several_workers_need_postgresql(capsys: pytest.CaptureFixture[str]) -> None:
    """GIVEN no --database-url WHEN serve is asked for several workers THEN it
    refuses with a German message instead of sharing one SQLite file."""
    assert main(["serve", "--workers", "2"]) == 1
    assert "PostgreSQL" in capsys.readouterr().err
