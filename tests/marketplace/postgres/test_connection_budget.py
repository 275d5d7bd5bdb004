"""The connection-count guard of ``marketplace serve`` on PostgreSQL: workers
that the server could not give their connections to are refused at start, with
the numbers, instead of failing requests at the busiest moment. Against the
real throwaway PostgreSQL server of this package (max_connections 200)."""

from __future__ import annotations

import asyncio
import socket
import subprocess
from pathlib import Path

import asyncpg
import pytest

from marketplace.cli import main
from marketplace.db.postgres import (
    EXTRA_PER_WORKER,
    check_budget,
    connection_budget,
)
from marketplace.errors import MarketplaceError
from tests.support import postgres
from tests.support.processes import VENV_BIN, free_port


def test_more_workers_than_the_server_allows_are_refused_before_serving(
    pg_server: postgres.PostgresServer, tmp_path: Path
) -> None:
    """GIVEN a PostgreSQL server with max_connections 200
    WHEN ``marketplace serve --workers 40`` starts with 4 read connections each
    (40 x 7 = 280 connections at most)
    THEN the process ends by itself with exit code 1 and the German reason with
    the numbers; nothing listens on its port."""
    port = free_port()
    argv = [
        str(VENV_BIN / "marketplace"),
        "--db", str(tmp_path / "m.sqlite3"),
        "--database-url", pg_server.fresh(),
        "serve", "--port", str(port), "--workers", "40",
    ]  # fmt: skip
    done = subprocess.run(
        argv,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={"MARKETPLACE_READ_CONNECTIONS": "4", "PATH": "/usr/bin:/bin"},
    )
    assert done.returncode == 1, done.stderr
    assert "PostgreSQL hat nicht genug freie Verbindungen: 40 Worker" in done.stderr
    assert f"bis zu 280 ({5 + EXTRA_PER_WORKER} je Worker)" in done.stderr
    assert "max_connections 200" in done.stderr
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=1)


async def test_connections_other_programs_hold_count_against_the_budget(
    pg_server: postgres.PostgresServer,
) -> None:
    """GIVEN two workers that fit into the server's free connections
    WHEN another program opens three connections more than are left for them
    THEN the guard refuses them and names the connections in use; once that
    program closes its connections, the same two workers are accepted.
    (Connections of earlier tests may still be closing on the shared server, so
    the margin is three and the counts are compared, not pinned.)"""
    url = pg_server.fresh()
    budget = await connection_budget(url, workers=2, read_connections=4)
    check_budget(budget)
    extra = budget.free - budget.needed + 3
    hog = [await asyncpg.connect(url) for _ in range(extra)]
    try:
        crowded = await connection_budget(url, workers=2, read_connections=4)
        assert crowded.in_use >= extra
        assert crowded.free < crowded.needed
        with pytest.raises(MarketplaceError, match="schon belegt") as refused:
            check_budget(crowded)
        assert f"{crowded.in_use} schon belegt" in refused.value.detail
    finally:
        await asyncio.gather(*(c.close() for c in hog))
    for _ in range(50):  # the server ends the closed sessions' backends shortly
        after = await connection_budget(url, workers=2, read_connections=4)
        if after.free >= after.needed:
            break
        await asyncio.sleep(0.1)
    check_budget(after)


def test_a_server_that_does_not_answer_is_named_without_the_password(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """GIVEN a --database-url with a password on a port where no server listens
    WHEN serve starts
    THEN it ends with exit code 1 and a German message, and the password is not
    printed."""
    url = f"postgresql://app:geheim-pw-123@127.0.0.1:{free_port()}/markt"
    assert main(["--database-url", url, "serve", "--workers", "2"]) == 1
    err = capsys.readouterr().err
    assert "PostgreSQL ist nicht erreichbar" in err
    assert "geheim-pw-123" not in err
