"""The repositories' SQLite statements as PostgreSQL statements.

Repositories are written once, in SQLite's dialect with ``?`` or ``:name``
placeholders. ``translate`` turns a statement and its parameters into what
asyncpg runs:

- each placeholder becomes ``$n`` cast to the type of its Python value
  (``text``, ``bigint``, ``float8``, ``bytea``), so PostgreSQL never has to guess
  a type (``? IS NULL`` alone would not name one); a ``None`` is written as the
  literal ``NULL``, which compares and inserts exactly like SQLite's bound NULL;
- ``/*pg: ...*/`` comments are PostgreSQL-only clauses (``FOR UPDATE SKIP LOCKED``
  in the outbox claim); SQLite reads them as comments;
- ``table MATCH ?`` (FTS5) is ``fts_match(table, ?)`` and ``bm25`` a function,
  both in the PostgreSQL schema (plain tables and a scan instead of FTS5);
- ``char(`` is ``chr(``; ``json_each``, ``json_group_array`` and ``group_concat``
  exist as functions in the PostgreSQL schema (``migrations_pg/``);
- a bare ``BEGIN`` (several reads seeing one state) is ``REPEATABLE READ``,
  as READ COMMITTED would give each statement its own snapshot;
- ``INSERT OR IGNORE`` is ``INSERT ... ON CONFLICT DO NOTHING``;
- an ``INSERT`` into a table with a generated ``id`` returns it, for ``lastrowid``.

Text inside string literals is left alone. Translations are cached by statement
text and the kinds of its parameters. ``LIKE`` is ``ILIKE`` (SQLite's LIKE ignores
case), ``WHERE 1`` is ``WHERE TRUE`` and ``x IS ?`` is ``x IS NOT DISTINCT FROM
$n`` (equal, or both NULL). SQLite's two-argument ``max(a, b)`` is a function in
the schema (``migrations_pg/0002``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache

Params = Sequence[object] | Mapping[str, object] | None

_TOKEN = re.compile(
    r"'(?:[^']|'')*'|/\*pg:(.*?)\*/|(?:\b(\w+) MATCH )?\?(\d*)"
    r"|(?<!:):([A-Za-z_]\w*)|\bchar\(|\bLIKE\b|\bWHERE 1\b(?! *[=<>!])|\bCROSS JOIN\b"
    r"|\bIS(?= +[?:])",
    re.S,
)
_WORDS = {
    "char(": "chr(",
    "like": "ILIKE",
    "where 1": "WHERE TRUE",
    "cross join": "JOIN",  # SQLite's join-order hint; always with ON here
    "is": "IS NOT DISTINCT FROM",  # SQLite's "x IS ?" compares values, NULL too
}
_OR_IGNORE = re.compile(r"^\s*INSERT(\s+OR\s+IGNORE)\s+INTO", re.I)
_INSERT = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)", re.I)
_CASTS = {bool: "::bigint", int: "::bigint", float: "::float8", str: "::text"}


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bytes | bytearray | memoryview):
        return "::bytea"
    return _CASTS.get(type(value), "")


def translate(
    sql: str, params: Params, id_tables: frozenset[str]
) -> tuple[str, list[object]]:
    """The PostgreSQL text of ``sql`` and the values to bind to its ``$n``."""
    if sql.strip().upper() == "BEGIN":  # a read snapshot (catalog.repository)
        return "BEGIN ISOLATION LEVEL REPEATABLE READ", []
    if isinstance(params, Mapping):
        names = tuple(sorted(params))
        kinds = tuple((name, _kind(params[name])) for name in names)
        text, used = _translate_named(sql, kinds, id_tables)
        return text, [_value(params[name]) for name in used]
    values = list(params or ())
    text, order = _translate_positional(sql, tuple(_kind(v) for v in values), id_tables)
    return text, [_value(values[index]) for index in order]


def _value(value: object) -> object:
    return int(value) if isinstance(value, bool) else value


@lru_cache(maxsize=4096)
def _translate_positional(
    sql: str, kinds: tuple[str, ...], id_tables: frozenset[str]
) -> tuple[str, tuple[int, ...]]:
    """``?`` is the value after the highest used so far, ``?N`` the N-th value."""
    numbers: dict[int, int] = {}  # value index -> $n
    last = -1

    def placeholder(match: re.Match[str]) -> str:
        nonlocal last
        if match[3] is None:
            return _other(match)
        index = int(match[3]) - 1 if match[3] else last + 1
        last = max(last, index)
        if kinds[index] == "null":
            value = "NULL"
        else:
            number = numbers.setdefault(index, len(numbers) + 1)
            value = f"${number}{kinds[index]}"
        return f"fts_match({match[2]}, {value})" if match[2] else value

    text = _TOKEN.sub(placeholder, sql)
    if last + 1 != len(kinds):
        raise ValueError(f"statement uses {last + 1} values, {len(kinds)} given")
    return _returning_id(text, id_tables), tuple(numbers)


@lru_cache(maxsize=4096)
def _translate_named(
    sql: str, kinds: tuple[tuple[str, str], ...], id_tables: frozenset[str]
) -> tuple[str, tuple[str, ...]]:
    by_name = dict(kinds)
    numbers: dict[str, int] = {}

    def placeholder(match: re.Match[str]) -> str:
        name = match[4]
        if name is None:
            return _other(match)
        kind = by_name[name]
        if kind == "null":
            return "NULL"
        number = numbers.setdefault(name, len(numbers) + 1)
        return f"${number}{kind}"

    text = _TOKEN.sub(placeholder, sql)
    return _returning_id(text, id_tables), tuple(numbers)


def _other(match: re.Match[str]) -> str:
    token = match[0]
    if match[1] is not None:
        return f" {match[1].strip()} "
    return _WORDS.get(token.lower(), token)  # else a string literal


def _returning_id(sql: str, id_tables: frozenset[str]) -> str:
    ignoring = _OR_IGNORE.match(sql)
    if ignoring:
        sql = f"{sql[: ignoring.start(1)]}{sql[ignoring.end(1) :].rstrip()}"
        sql += " ON CONFLICT DO NOTHING"
    found = _INSERT.match(sql)
    if found and found[1].lower() in id_tables and "returning" not in sql.lower():
        return f"{sql.rstrip().rstrip(';')} RETURNING id"
    return sql
