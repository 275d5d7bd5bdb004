"""Real processes and real network faults for the outbox fault tests."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from tests.support.processes import VENV_BIN, LiveProcess, free_port

from .conftest import buyer_token


class LiveMarketplace:
    """``marketplace serve`` (uvicorn) on a fixed loopback port; can be killed
    and started again on the same port and database."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.db_path = folder / "mp.sqlite3"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = asyncio.run(buyer_token(self.db_path))
        self.process: LiveProcess | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        argv = [str(VENV_BIN / "marketplace"), "--db", str(self.db_path), "serve"]
        argv += ["--host", "127.0.0.1", "--port", str(self.port)]
        log = self.folder / f"server-{self.starts}.log"
        self.process = LiveProcess(argv, log, {"MARKETPLACE_CSRF_SECRET": "faults"})
        self.process.wait_http(f"{self.url}/health")

    def kill(self) -> None:
        import signal

        if self.process is not None:
            self.process.stop(signal.SIGKILL)
            self.process = None

    def counts(self) -> tuple[int, int, int]:
        """(rows, distinct hashes, deliveries) in the intake table."""
        with contextlib.closing(sqlite3.connect(self.db_path, timeout=10)) as conn:
            row = conn.execute(
                "SELECT COUNT(*), COUNT(DISTINCT sha256),"
                " COALESCE(SUM(deliveries), 0) FROM intake_documents"
            ).fetchone()
        return int(row[0]), int(row[1]), int(row[2])

    def hashes(self) -> set[str]:
        with contextlib.closing(sqlite3.connect(self.db_path, timeout=10)) as conn:
            return {r[0] for r in conn.execute("SELECT sha256 FROM intake_documents")}


def station_settings(
    folder: Path, intake_url: str, token: str, outbox: str = "outbox"
) -> Path:
    """A station settings file whose outbox retries fast."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "intake-token").write_text(token)
    path = folder / "station.toml"
    path.write_text(
        f"""
[outbox]
folder = "{outbox}"
intake_url = "{intake_url}"
token_file = "intake-token"
timeout_seconds = 2
backoff_base = 0.05
backoff_cap = 0.4
max_attempts = 10000
poll_seconds = 0.05
""",
        encoding="utf-8",
    )
    return path


def deliverer(settings: Path, log: Path, *, until_empty: bool = False) -> LiveProcess:
    """``appliance outbox deliver`` as a real process."""
    argv = [sys.executable, "-m", "appliance.station", "outbox"]
    argv += ["--settings", str(settings), "deliver"]
    if until_empty:
        argv.append("--until-empty")
    return LiveProcess(argv, log, {})


def producer(source: Path, outbox: Path, log: Path, pause: float) -> LiveProcess:
    argv = [sys.executable, "-m", "tests.appliance.outbox.producer"]
    return LiveProcess([*argv, str(source), str(outbox), str(pause)], log, {})


def wait_for(
    condition: Callable[[], bool],
    timeout: float,
    what: str,
    *watched: LiveProcess,
) -> None:
    """Poll ``condition``; fail early with its log if a watched process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        for process in watched:
            if process.process.poll() is not None:
                raise RuntimeError(f"process ended early:\n{process.output()}")
        time.sleep(0.1)
    raise TimeoutError(f"not reached within {timeout} s: {what}")


class CuttableProxy:
    """A TCP proxy on loopback whose connections can be cut like a pulled cable.

    ``cut()`` resets every open connection mid-transfer and refuses new ones until
    ``restore()``; requests in flight may or may not have reached the server.
    """

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._up = threading.Event()
        self._stop = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", self.port))
        self._listener.settimeout(0.1)
        self._up.set()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()
        self.cuts = 0
        self.connections_cut = 0

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            if not self._up.is_set():
                _reset(client)
                continue
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:
                _reset(client)
                continue
            with self._lock:
                self._open.update({client, server})
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
                sock.close()
            with self._lock:
                self._open.difference_update({source, sink})

    def cut(self) -> None:
        self.cuts += 1
        self._up.clear()
        with self._lock:
            doomed, self._open = self._open, set()
        self.connections_cut += len(doomed) // 2
        for sock in doomed:
            _reset(sock)

    def restore(self) -> None:
        self._up.set()

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        with self._lock:
            doomed, self._open = self._open, set()
        for sock in doomed:
            _reset(sock)
        self._listener.close()


def _reset(sock: socket.socket) -> None:
    """Close with RST instead of FIN, as a cut cable looks to the other side."""
    import struct

    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    with contextlib.suppress(OSError):
        sock.close()
