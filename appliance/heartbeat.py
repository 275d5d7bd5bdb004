"""Heartbeat: tell the marketplace that the station lives, and how healthy it is.

Every ``heartbeat_seconds`` the station sends, signed with its key, the versions of
its scanner stack, card reader daemon, AusweisApp and Tesseract, free disk space, and
how many documents wait in the outbox and how many are dead letters. A marketplace
that cannot be reached is retried at the next beat; a marketplace that refuses the
station (revoked, unknown) ends the loop with exit code 3, because retrying would not
help.

Run as ``python -m appliance.heartbeat --settings /etc/scanstation/settings.json``.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import msgspec

from appliance.enrolment import (
    EnrolmentError,
    StationSettings,
    device_auth,
    installed_version,
)
from appliance.outbox import Outbox, State

log = logging.getLogger(__name__)

# (name, argv) of the programs whose versions the marketplace shows.
PROGRAMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("scanner", ("scanimage", "--version")),
    ("reader", ("pcscd", "--version")),
    ("ausweisapp", ("AusweisApp2", "--version")),
    ("tesseract", ("tesseract", "--version")),
)
REFUSED_EXIT = 3


class Health(msgspec.Struct, kw_only=True, frozen=True):
    """What a station reports; ``None`` means the program is missing or broken."""

    scanner: str | None = None
    reader: str | None = None
    ausweisapp: str | None = None
    tesseract: str | None = None
    disk_free_bytes: int = 0
    disk_total_bytes: int = 0
    outbox_depth: int = 0
    dead_letters: int = 0


class Beat(msgspec.Struct, kw_only=True, frozen=True):
    software_version: str
    hardware_kind: str
    health: Health


class Refused(Exception):
    """The marketplace will not accept this station's calls."""


def program_version(argv: Sequence[str], timeout: float = 10.0) -> str | None:
    """The first non-empty output line of ``argv``, or None if it cannot run."""
    try:
        done = subprocess.run(  # noqa: S603 - fixed argument lists from PROGRAMS
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin:/usr/sbin"},
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in (done.stdout + done.stderr).splitlines():
        if line.strip():
            return line.strip()[:200]
    return None


def outbox_counts(folder: Path) -> tuple[int, int]:
    """(waiting, dead letters) of the station's outbox; (0, 0) before it exists."""
    if not (folder / "outbox.sqlite3").exists():
        return 0, 0
    counts = Outbox(folder).counts()
    return counts[State.PENDING], counts[State.DEAD]


def collect(settings: StationSettings) -> Health:
    versions = {name: program_version(argv) for name, argv in PROGRAMS}
    usage = shutil.disk_usage(settings.state_dir)
    waiting, dead = outbox_counts(settings.outbox_dir)
    return Health(
        **versions,
        disk_free_bytes=usage.free,
        disk_total_bytes=usage.total,
        outbox_depth=waiting,
        dead_letters=dead,
    )


def send(settings: StationSettings, health: Health, client: httpx.Client) -> int:
    """Send one beat; returns the seconds the marketplace asks to wait."""
    beat = Beat(
        software_version=installed_version(),
        hardware_kind=settings.hardware_kind,
        health=health,
    )
    url = settings.marketplace_url.rstrip("/") + "/api/v1/fleet/heartbeats"
    response = client.post(url, content=msgspec.json.encode(beat), headers=_JSON)
    if response.status_code in (401, 403):
        raise Refused(_detail(response))
    response.raise_for_status()
    answer = msgspec.json.decode(response.content)
    return int(answer.get("next_heartbeat_seconds", settings.heartbeat_seconds))


_JSON = {"Content-Type": "application/json"}


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", response.text))
    except ValueError:
        return response.text[:200]


def run(settings: StationSettings, *, once: bool = False) -> int:
    """Beat until refused (exit 3); with ``once`` a single beat (exit 1 if not sent)."""
    with httpx.Client(auth=device_auth(settings), timeout=30) as client:
        while True:
            wait = settings.heartbeat_seconds
            try:
                wait = send(settings, collect(settings), client)
                log.info("heartbeat sent")
            except Refused as exc:
                log.error("marketplace refuses this station: %s", exc)
                print(f"Der Marktplatz weist die Station ab: {exc}", file=sys.stderr)
                return REFUSED_EXIT
            except httpx.HTTPError as exc:
                log.warning("heartbeat not sent, retrying later: %s", exc)
                if once:
                    print(f"Heartbeat nicht gesendet: {exc}", file=sys.stderr)
                    return 1
            if once:
                return 0
            time.sleep(max(5, wait))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m appliance.heartbeat")
    parser.add_argument("--settings", type=Path, required=True)
    parser.add_argument("--once", action="store_true", help="send one beat and stop")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(message)s")
    settings = StationSettings.load(args.settings)
    try:
        return run(settings, once=args.once)
    except EnrolmentError as exc:
        print(f"Heartbeat unmöglich: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
