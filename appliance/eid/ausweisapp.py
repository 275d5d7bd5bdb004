"""The AusweisApp program: find it, probe its version, run it headless.

On the appliance AusweisApp runs as a service (``--ui websocket``) and the SDK
client connects to its WebSocket. ``AusweisAppProcess`` starts it the same way for
tests and for ``appliance eid status --start``: headless (``QT_QPA_PLATFORM=
offscreen``), with its settings and temporary files in a folder of its own, and
with ``--port 0`` so it picks a free port and writes it to
``AusweisApp2.<pid>.port`` in that folder.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from appliance.eid.errors import AusweisAppUnavailable

EXECUTABLES = ("AusweisApp", "AusweisApp2")  # 2.x, 1.x


def executable() -> str | None:
    for name in EXECUTABLES:
        found = shutil.which(name)
        if found:
            return found
    return None


def headless_env(home: Path) -> dict[str, str]:
    """Environment for a headless AusweisApp whose files stay under ``home``."""
    runtime = home / "runtime"
    runtime.mkdir(parents=True, exist_ok=True, mode=0o700)
    return {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "XDG_RUNTIME_DIR": str(runtime),
        "TMPDIR": str(home),
    }


def version(timeout: float = 20.0) -> str | None:
    """``AusweisApp --version`` (e.g. "1.26.2"), or None when it is not installed."""
    program = executable()
    if program is None:
        return None
    home = Path(os.environ.get("TMPDIR", "/tmp")) / f"ausweisapp-probe-{os.getpid()}"  # noqa: S108
    try:
        done = subprocess.run(  # noqa: S603 - fixed argument list
            [program, "--version"],
            capture_output=True,
            text=True,
            timeout=timeout,
            env=headless_env(home),
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    finally:
        shutil.rmtree(home, ignore_errors=True)
    words = done.stdout.split()
    return words[-1] if done.returncode == 0 and words else None


class AusweisAppProcess:
    """A headless AusweisApp; ``url`` is its SDK WebSocket once ``start`` returned."""

    def __init__(self, home: Path, *, port: int = 0) -> None:
        self.home = home
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None
        self._program = ""
        self.log_path = home / "ausweisapp.log"

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/eID-Kernel"

    def start(self, timeout: float = 30.0) -> AusweisAppProcess:
        program = executable()
        if program is None:
            raise AusweisAppUnavailable(
                "Die AusweisApp ist auf diesem Gerät nicht installiert."
            )
        self.home.mkdir(parents=True, exist_ok=True)
        self._program = Path(program).name
        argv = [program, "--ui", "websocket", "--port", str(self.port), "--no-logfile"]
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed argument list
                argv,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=headless_env(self.home),
                start_new_session=True,
            )
        self.port = self._wait_for_port(timeout)
        return self

    def _wait_for_port(self, timeout: float) -> int:
        assert self.process is not None
        port_file = self.home / f"{self._program}.{self.process.pid}.port"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AusweisAppUnavailable(
                    f"Die AusweisApp hat sich sofort beendet (Protokoll: {self.log_path})."
                )
            if self.port:
                return self.port
            text = port_file.read_text().strip() if port_file.exists() else ""
            if text.isdigit():
                return int(text)
            time.sleep(0.1)
        self.stop()
        raise AusweisAppUnavailable("Die AusweisApp ist nicht rechtzeitig gestartet.")

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout)
