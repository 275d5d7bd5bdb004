"""Health, OpenAPI, problem responses for malformed input, and schema migrations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from marketplace.db import Database, migrations
from marketplace.problems import translate_validation


async def test_health_reports_schema_version(client: AsyncTestClient[Litestar]) -> None:
    """GIVEN a fresh app WHEN /health is asked THEN it is ok at the newest schema."""
    body = (await client.get("/health")).json()
    assert body["status"] == "ok"
    assert body["schema_version"] == migrations.available_migrations()[-1][0]


async def test_openapi_is_served(client: AsyncTestClient[Litestar]) -> None:
    """GIVEN the app WHEN the default OpenAPI address is fetched THEN it lists /api/v1."""
    spec = (await client.get("/schema/openapi.json")).json()
    assert spec["info"]["title"] == "EfA-Marktplatz"
    assert "/api/v1/me" in spec["paths"]


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"{not json", "fehlerhaft"),
        (b'{"login": "abc", "password": "12345678", "extra": 1}', "Unbekanntes Feld"),
        (b'{"login": "abc"}', "Pflichtfeld"),
        (b'{"login": "A B", "password": "12345678"}', "Format"),
    ],
)
async def test_malformed_bodies_get_german_problems(
    client: AsyncTestClient[Litestar], body: bytes, expected: str
) -> None:
    """GIVEN a malformed body WHEN posted THEN 400 problem+json with a German detail."""
    response = await client.post(
        "/api/v1/auth/tokens",
        content=body,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")
    assert expected in response.json()["detail"]


async def test_oversized_body_is_refused(client: AsyncTestClient[Litestar]) -> None:
    """GIVEN a body above the configured limit WHEN posted THEN 413 problem."""
    response = await client.post(
        "/api/v1/auth/tokens",
        content=b"x" * 2_000_000,
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 413
    assert "Größe" in response.json()["detail"]


async def test_unknown_route_is_a_problem(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/api/v1/does-not-exist")
    assert response.status_code == 404
    assert response.json()["title"] == "Nicht gefunden"


def test_translate_validation_keeps_the_field() -> None:
    message = "Expected `int` >= 0 - at `$.population`"
    assert (
        translate_validation(message)
        == "Der Wert muss mindestens 0 sein (Feld „population“)."
    )


async def test_migrations_upgrade_an_existing_file(tmp_path: Path) -> None:
    """GIVEN a file at schema version 1 with an account in it WHEN opened by this
    software THEN the later migrations are applied and the account is kept."""
    path = tmp_path / "old.sqlite3"
    version, name, sql = migrations.available_migrations()[0]
    with sqlite3.connect(path) as old:
        old.executescript(sql)
        old.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
            " name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        old.execute(
            "INSERT INTO schema_migrations VALUES (?, ?, 'then')", (version, name)
        )
        old.execute(
            "INSERT INTO users (login, display_name, password_hash, role, created_at)"
            " VALUES ('alt', 'Alt', 'h', 'operator', 'then')"
        )
    old.close()
    async with Database(path) as db, db.read() as conn:
        assert db.schema_version == migrations.available_migrations()[-1][0] > 1
        async with conn.execute("SELECT login FROM users") as cur:
            assert [row[0] for row in await cur.fetchall()] == ["alt"]
        async with conn.execute("SELECT COUNT(*) FROM laender") as cur:
            assert (await cur.fetchone())[0] == 0


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    """GIVEN a file written by newer software WHEN opened THEN a clear refusal."""
    path = tmp_path / "new.sqlite3"
    async with Database(path) as db, db.transaction() as conn:
        await conn.execute(
            "INSERT INTO schema_migrations VALUES (9999, 'future', '2030-01-01')"
        )
    with pytest.raises(migrations.SchemaTooNew):
        async with Database(path):
            pass


async def test_transaction_rolls_back_on_error(db: Database) -> None:
    """GIVEN a write that fails half way WHEN the transaction ends THEN nothing is kept."""

    async def write_then_fail() -> None:
        async with db.transaction() as conn:
            await conn.execute(
                "INSERT INTO users (login, display_name, password_hash, role, created_at)"
                " VALUES ('x', 'X', 'h', 'operator', 'now')"
            )
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await write_then_fail()
    async with db.read() as conn, conn.execute("SELECT COUNT(*) FROM users") as cur:
        assert (await cur.fetchone())[0] == 0


async def test_a_migration_numbered_below_the_newest_is_still_applied(
    tmp_path: Path,
) -> None:
    """GIVEN a file that has every migration but 0003 (made while 0003 did not exist
    yet) WHEN opened THEN 0003 is applied too and recorded."""
    path = tmp_path / "gap.sqlite3"
    with sqlite3.connect(path) as old:
        old.execute(
            "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY,"
            " name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        for version, name, sql in migrations.available_migrations():
            if version != 3:
                old.executescript(sql)
                old.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, 'then')",
                    (version, name),
                )
    old.close()
    async with (
        Database(path) as db,
        db.read() as conn,
        conn.execute("SELECT version FROM schema_migrations") as cur,
    ):
        versions = [row[0] for row in await cur.fetchall()]
    assert 3 in versions
    assert versions == sorted(versions)


def test_settings_from_the_environment_take_paths_and_numbers(tmp_path: Path) -> None:
    """GIVEN MARKETPLACE_DB_PATH, MARKETPLACE_PORT and MARKETPLACE_DATABASE_URL as
    text, as the environment holds them WHEN settings are built from it THEN the
    path is a Path, the port a number, and an explicit --db still wins."""
    from marketplace.settings import Settings

    environ = {
        "MARKETPLACE_DB_PATH": str(tmp_path / "env.sqlite3"),
        "MARKETPLACE_PORT": "8123",
        "MARKETPLACE_DATABASE_URL": "postgresql://mp@127.0.0.1/mp",
    }
    settings = Settings.from_environ(environ)
    assert settings.db_path == tmp_path / "env.sqlite3"
    assert settings.port == 8123
    assert settings.database_url == "postgresql://mp@127.0.0.1/mp"
    chosen = Settings.from_environ(environ, db_path=tmp_path / "cli.sqlite3")
    assert chosen.db_path == tmp_path / "cli.sqlite3"
