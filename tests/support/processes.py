"""Real processes on loopback for tests: free ports, start, wait until ready, stop."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[2]
VENV_BIN = REPO / ".venv" / "bin"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LiveProcess:
    """A child process whose output goes to a log file kept for the test report."""

    def __init__(self, argv: Sequence[str], log_path: Path, env: dict[str, str]):
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.process = subprocess.Popen(
            list(argv),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
            cwd=REPO,
            start_new_session=True,
        )

    def wait_http(self, url: str, timeout: float = 60.0) -> None:
        """Poll ``url`` until it answers 200; fail with the process log otherwise."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"process exited early:\n{self.output()}")
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        raise TimeoutError(f"{url} not ready after {timeout} s:\n{self.output()}")

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 15) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)
        self._log.close()


def start_marketplace(
    db_path: Path,
    log_path: Path,
    *,
    seed_demo: bool = True,
    env: dict[str, str] | None = None,
) -> tuple[LiveProcess, str]:
    """``marketplace serve`` as a real process (``env``: more ``MARKETPLACE_*``
    settings); returns it and its base URL."""
    port = free_port()
    argv = [str(VENV_BIN / "marketplace"), "--db", str(db_path), "serve"]
    argv += ["--host", "127.0.0.1", "--port", str(port)]
    if seed_demo:
        argv.append("--seed-demo")
    settings = {"MARKETPLACE_CSRF_SECRET": "browser-tests", **(env or {})}
    live = LiveProcess(argv, log_path, settings)
    base = f"http://127.0.0.1:{port}"
    try:
        live.wait_http(f"{base}/health")
    except BaseException:
        live.stop()
        raise
    return live, base
