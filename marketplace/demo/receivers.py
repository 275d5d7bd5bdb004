"""The reference receivers for the demo, as real processes on fixed loopback ports.

    python -m marketplace.demo.receivers [--data var/demo-receivers] [--ports A,B,C]

starts the FIT-Connect receiver (8301), the E-Akte (8302, ``GET /`` lists what
arrived) and the webhook receiver (8303), and stops them on Ctrl-C or SIGTERM.
The demo routes of ``marketplace.demo.delivery`` point at them; ``--ports``
(and the ``ports`` arguments) move all three, for tests on free ports.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any, NamedTuple


class Ports(NamedTuple):
    """Where the three reference receivers listen."""

    fitconnect: int = 8301
    eakte: int = 8302
    webhook: int = 8303

    @classmethod
    def parse(cls, text: str) -> Ports:
        """``"8301,8302,8303"`` (FIT-Connect, E-Akte, webhook)."""
        fitconnect, eakte, webhook = (int(part) for part in text.split(","))
        return cls(fitconnect, eakte, webhook)


DEFAULT_PORTS = Ports()

DEMO = {
    "fitconnect_port": str(DEFAULT_PORTS.fitconnect),
    "eakte_port": str(DEFAULT_PORTS.eakte),
    "webhook_port": str(DEFAULT_PORTS.webhook),
    "fitconnect_client": "efa-marktplatz-demo",
    "fitconnect_secret": "demo-fit-client-secret",
    "destination": "7f0c6a52-3b8e-4d7a-9c61-1e2f3a4b5c6d",
    "webhook_secret": "demo-webhook-secret-0123456789",
}


def url(kind: str, path: str, ports: Ports = DEFAULT_PORTS) -> str:
    return f"http://127.0.0.1:{getattr(ports, kind)}{path}"


def fitconnect_url(ports: Ports = DEFAULT_PORTS) -> dict[str, Any]:
    return {
        "api_url": url("fitconnect", "/v1", ports),
        "token_url": url("fitconnect", "/token", ports),
        "client_id": DEMO["fitconnect_client"],
        "client_secret": DEMO["fitconnect_secret"],
        "destination_id": DEMO["destination"],
    }


def commands(data: Path, ports: Ports = DEFAULT_PORTS) -> list[list[str]]:
    def receiver(module: str, kind: str, *extra: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            f"connectors.receivers.{module}",
            "--port",
            str(getattr(ports, kind)),
            "--data",
            str(data / kind),
            *extra,
        ]

    return [
        receiver(
            "fitconnect",
            "fitconnect",
            "--client-id",
            DEMO["fitconnect_client"],
            "--client-secret",
            DEMO["fitconnect_secret"],
            "--destination-id",
            DEMO["destination"],
        ),
        receiver("eakte", "eakte"),
        receiver("webhook", "webhook", "--secret", DEMO["webhook_secret"]),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description="Referenzempfänger der Demo")
    parser.add_argument("--data", type=Path, default=Path("var/demo-receivers"))
    parser.add_argument(
        "--ports",
        type=Ports.parse,
        default=DEFAULT_PORTS,
        help="FIT-Connect, E-Akte, Webhook (Standard 8301,8302,8303)",
    )
    args = parser.parse_args()
    children = [
        subprocess.Popen(argv)  # noqa: S603
        for argv in commands(args.data, args.ports)
    ]

    def stop(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            child.terminate()
        for child in children:
            child.wait(10)


if __name__ == "__main__":
    main()
