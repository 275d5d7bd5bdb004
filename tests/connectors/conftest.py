"""Reference receivers as real processes on loopback, shared by the connector tests.

Each receiver starts once per test session (the FIT-Connect one generates RSA-4096
keys at its first start); tests reset the fault switches and count only the
idempotency keys they created themselves.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.processes import LiveProcess, free_port

WEBHOOK_SECRET = "webhook-secret-0123456789abcdef"
FIT_SECRET = "fit-client-secret"
DESTINATION = "4a6f1e0c-9b1d-4c1e-8f0a-7c3e5d2b1a90"


class Receiver:
    """One reference receiver process; can be stopped and started again."""

    def __init__(self, module: str, data: Path, extra: list[str]) -> None:
        self.module = module
        self.data = data
        self.extra = extra
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.process: LiveProcess | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        argv = [sys.executable, "-m", f"connectors.receivers.{self.module}"]
        argv += ["--port", str(self.port), "--data", str(self.data), *self.extra]
        log = self.data.parent / f"{self.module}-{self.starts}.log"
        self.process = LiveProcess(argv, log, {})
        try:
            self.process.wait_http(f"{self.base}/health", timeout=60)
        except BaseException:
            self.process.stop()
            raise

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None

    def faults(self, **switches: Any) -> None:
        httpx.put(f"{self.base}/_faults", json=switches, timeout=10).raise_for_status()

    def received(self, prefix: str) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = httpx.get(
            f"{self.base}/_received", timeout=10
        ).json()
        return [entry for entry in entries if entry["key"].startswith(prefix)]


@pytest.fixture(scope="session")
def receivers_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("receivers")


def _started(receiver: Receiver) -> Iterator[Receiver]:
    receiver.start()
    try:
        yield receiver
    finally:
        receiver.stop()


@pytest.fixture(scope="session")
def webhook_receiver(receivers_dir: Path) -> Iterator[Receiver]:
    yield from _started(
        Receiver("webhook", receivers_dir / "webhook", ["--secret", WEBHOOK_SECRET])
    )


@pytest.fixture(scope="session")
def eakte_receiver(receivers_dir: Path) -> Iterator[Receiver]:
    yield from _started(Receiver("eakte", receivers_dir / "eakte", []))


@pytest.fixture(scope="session")
def fitconnect_receiver(receivers_dir: Path) -> Iterator[Receiver]:
    extra = ["--client-secret", FIT_SECRET, "--destination-id", DESTINATION]
    yield from _started(Receiver("fitconnect", receivers_dir / "fitconnect", extra))


def webhook_settings(receiver: Receiver, **overrides: Any) -> dict[str, Any]:
    return {
        "url": f"{receiver.base}/eingang",
        "secret": WEBHOOK_SECRET,
        "timeout": 5.0,
    } | overrides


def eakte_settings(receiver: Receiver, **overrides: Any) -> dict[str, Any]:
    return {"url": f"{receiver.base}/xdomea/nachrichten", "timeout": 5.0} | overrides


def fitconnect_settings(receiver: Receiver, **overrides: Any) -> dict[str, Any]:
    return {
        "api_url": f"{receiver.base}/v1",
        "token_url": f"{receiver.base}/token",
        "client_id": "efa-marktplatz",
        "client_secret": FIT_SECRET,
        "destination_id": DESTINATION,
        "timeout": 5.0,
        "confirm_timeout": 5.0,
        "poll_interval": 0.05,
    } | overrides
