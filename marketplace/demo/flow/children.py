"""The flow's processes: the reference receivers, the marketplace and the scan
station, each a real child process with its log in ``<var>/logs/``, stopped by
the flow (its own children only, by process group)."""

from __future__ import annotations

import functools
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import httpx

from marketplace.demo.flow.config import HOST, FlowConfig
from marketplace.demo.flow.station import FlowError

FLEET_PROJECT = Path(__file__).resolve().parent.parent / "fleet"


class Child:
    """One started process group with its log file."""

    def __init__(
        self, name: str, argv: Sequence[str], logs: Path, env: dict[str, str]
    ) -> None:
        logs.mkdir(parents=True, exist_ok=True)
        self.name = name
        self.log_path = logs / f"{name}.log"
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter
            list(argv),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            env={**os.environ, **env},
            start_new_session=True,
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, timeout: float = 15) -> None:
        if self.alive():
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout)
        self._log.close()

    def tail(self) -> str:
        return self.log_path.read_text(errors="replace")[-3000:]


def start_receivers(config: FlowConfig) -> Child:
    ports = ",".join(str(p) for p in config.receiver_ports)
    argv = [sys.executable, "-m", "marketplace.demo.receivers"]
    argv += ["--data", str(config.receivers_data), "--ports", ports]
    child = Child("empfaenger", argv, config.var / "logs", {})
    for port in config.receiver_ports:
        _wait(child, functools.partial(_listening, port))
    return child


def start_marketplace(config: FlowConfig) -> Child:
    argv = [sys.executable, "-m", "marketplace", "--db", str(config.db)]
    if config.on_postgres:
        argv += ["--database-url", config.database_url]
    argv += ["serve", "--host", HOST, "--port", str(config.marketplace_port)]
    if config.workers > 1:
        argv += ["--workers", str(config.workers)]
    env = {
        "MARKETPLACE_DELIVERY_POLL": str(config.delivery_poll),
        # Runs from the demo's fleet pages: a harmless play, never the appliance
        # play, whose station here would be this machine.
        "MARKETPLACE_FLEET_PROJECT_DIR": str(FLEET_PROJECT),
        "MARKETPLACE_FLEET_PLAYBOOK": "station.yml",
    }
    child = Child("marktplatz", argv, config.var / "logs", env)
    wait_until_answers(child, f"{config.marketplace_url}/health")
    return child


def start_station(config: FlowConfig) -> Child:
    argv = [sys.executable, "-m", "appliance", "serve"]
    argv += ["--settings", str(config.station_settings)]
    child = Child("scanstation", argv, config.var / "logs", {})
    wait_until_answers(child, f"{config.station_url}/anmelden")
    return child


def start_heartbeat(config: FlowConfig, settings: Path) -> Child:
    """The station's heartbeat, as its own unit runs on a provisioned device:
    signed with the device key, it tells the fleet the station's health."""
    argv = [sys.executable, "-m", "appliance.heartbeat", "--settings", str(settings)]
    return Child("herzschlag", argv, config.var / "logs", {})


def wait_until_answers(child: Child, url: str) -> None:
    """Until ``url`` answers 200 (or the child dies: FlowError with its log)."""
    _wait(child, functools.partial(_answers, url))


def _wait(child: Child, ready: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not child.alive():
            raise FlowError(f"{child.name} ist beim Start beendet:\n{child.tail()}")
        if ready():
            return
        time.sleep(0.1)
    child.stop()
    raise FlowError(f"{child.name} ist nach {timeout:.0f} s nicht bereit.")


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((HOST, port)) == 0


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def port_in_use(port: int) -> bool:
    return _listening(port)
