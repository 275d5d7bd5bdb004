"""The scale-out mode's contract suite: the same tests as for SQLite, on a
throwaway PostgreSQL server (tests/support/postgres.py) that this package's
``backend_url`` starts once per session. Skipped where Debian's postgresql-15 is
not installed (``scripts/bootstrap`` installs it, so CI runs it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.support import postgres


@pytest.fixture(scope="session")
def pg_server() -> Iterator[postgres.PostgresServer]:
    if not postgres.available():
        pytest.skip("PostgreSQL 15 is not installed (scripts/bootstrap)")
    with postgres.postgres_server() as server:
        yield server


@pytest.fixture(scope="session")
def backend_url(pg_server: postgres.PostgresServer) -> Callable[[], str]:
    """Every ``client`` of the reused tests runs on a fresh PostgreSQL database."""
    return pg_server.fresh
