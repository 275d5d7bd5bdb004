"""A throwaway PostgreSQL server for tests: Debian's postgresql-15 binaries,
``initdb`` into a temporary folder, ``pg_ctl start`` on a free loopback port with
its unix socket in that folder, stopped and removed at the end.

PostgreSQL refuses to run as root; when the tests run as root (this machine, the
CI container) the server runs as the ``postgres`` user that Debian's package
creates, through ``runuser``. Each test gets its own database (``fresh``).
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from pathlib import Path

from tests.support.processes import free_port

BIN = Path("/usr/lib/postgresql/15/bin")
_NUMBERS = count(1)


def available() -> bool:
    return (BIN / "initdb").exists() and (os.geteuid() != 0 or _has_user("postgres"))


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


class PostgresServer:
    def __init__(self, folder: Path, port: int, as_user: list[str]) -> None:
        self.folder = folder
        self.port = port
        self._as_user = as_user

    def run(self, *argv: str) -> str:
        done = subprocess.run(
            [*self._as_user, *argv], capture_output=True, text=True, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {done.stdout}\n{done.stderr}")
        return done.stdout

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def psql(self, sql: str, database: str = "postgres") -> str:
        return self.run(
            "psql", "-XAtq", "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
            "-d", database, "-c", sql,
        )  # fmt: skip

    def fresh(self) -> str:
        """A new empty database; its URL."""
        name = f"t{os.getpid()}_{next(_NUMBERS)}"
        self.psql(f"CREATE DATABASE {name}")
        return self.url(name)


@contextmanager
def postgres_server() -> Iterator[PostgresServer]:
    folder = Path(tempfile.mkdtemp(prefix="pg-", dir="/tmp"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
        as_user = ["runuser", "-u", "postgres", "--"]
    data, port = folder / "data", free_port()
    server = PostgresServer(folder, port, as_user)
    server.run(
        str(BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
        "--encoding=UTF8", "--locale=C.UTF-8", "--no-sync",
    )  # fmt: skip
    options = (
        f"-p {port} -h 127.0.0.1 -k {folder} -c fsync=off -c max_connections=200"
        " -c synchronous_commit=off -c full_page_writes=off"
    )
    server.run(
        str(BIN / "pg_ctl"), "-D", str(data), "-l", str(folder / "log"), "-o", options,
        "-w", "start",
    )  # fmt: skip
    try:
        yield server
    finally:
        server.run(str(BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)
