"""The reference receivers for the demo, as real processes on fixed loopback ports.

    python -m marketplace.demo.receivers [--data var/demo-receivers]

starts the FIT-Connect receiver (8301), the E-Akte (8302, ``GET /`` lists what
arrived) and the webhook receiver (8303), and stops them on Ctrl-C or SIGTERM.
The demo routes of ``marketplace.demo.delivery`` point at them.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType
from typing import Any

DEMO = {
    "fitconnect_port": "8301",
    "eakte_port": "8302",
    "webhook_port": "8303",
    "fitconnect_client": "efa-marktplatz-demo",
    "fitconnect_secret": "demo-fit-client-secret",
    "destination": "7f0c6a52-3b8e-4d7a-9c61-1e2f3a4b5c6d",
    "webhook_secret": "demo-webhook-secret-0123456789",
}


def url(kind: str, path: str) -> str:
    return f"http://127.0.0.1:{DEMO[f'{kind}_port']}{path}"


def fitconnect_url() -> dict[str, Any]:
    return {
        "api_url": url("fitconnect", "/v1"),
        "token_url": url("fitconnect", "/token"),
        "client_id": DEMO["fitconnect_client"],
        "client_secret": DEMO["fitconnect_secret"],
        "destination_id": DEMO["destination"],
    }


def commands(data: Path) -> list[list[str]]:
    def receiver(module: str, kind: str, *extra: str) -> list[str]:
        return [
            sys.executable,
            "-m",
            f"connectors.receivers.{module}",
            "--port",
            DEMO[f"{kind}_port"],
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
    args = parser.parse_args()
    children = [subprocess.Popen(argv) for argv in commands(args.data)]  # noqa: S603

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
