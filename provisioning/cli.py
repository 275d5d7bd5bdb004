"""The ``provision`` command: build the wheelhouse, build a root file system, run the
appliance playbook with a progress bar, and fetch enrolment tokens.

    provision wheelhouse                       # var/cache/provisioning/wheelhouse.tar
    provision rootfs /srv/images/station-1     # debootstrap (cached) + working copy
    provision run -i inventory.yml -e scanstation_wheelhouse=... [--check]
    provision token --marketplace URL --appliance 7   # bearer in MARKETPLACE_TOKEN
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

import httpx

from provisioning import rootfs, wheelhouse
from provisioning.driver import (
    PROJECT_DIR,
    Progress,
    ProvisioningError,
    RunRequest,
    RunSummary,
    run_playbook,
)

DEFAULT_CACHE = Path("var/cache/provisioning")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="provision",
        description=__doc__,
        formatter_class=argparse.RawTextHelpFormatter,
    )
    parser.add_argument("--version", action="version", version="%(prog)s 0.1.0")
    sub = parser.add_subparsers(dest="command", required=True)

    wheels = sub.add_parser("wheelhouse", help="build the appliance wheelhouse archive")
    wheels.add_argument("--out", type=Path, default=DEFAULT_CACHE / "wheelhouse")

    tree = sub.add_parser("rootfs", help="a fresh Debian root file system at DEST")
    tree.add_argument("dest", type=Path)
    tree.add_argument("--cache", type=Path, default=DEFAULT_CACHE)
    tree.add_argument("--suite", default="bookworm")
    tree.add_argument("--arch", default="amd64", help="arm64 needs qemu-user-static")

    run = sub.add_parser("run", help="run the appliance playbook")
    run.add_argument("-i", "--inventory", type=Path, required=True)
    run.add_argument("-l", "--limit")
    run.add_argument("-e", "--extra-var", action="append", default=[], metavar="K=V")
    run.add_argument("--check", action="store_true", help="drift report, no changes")
    run.add_argument("--playbook", default="appliance.yml")
    run.add_argument("--project-dir", type=Path, default=PROJECT_DIR)
    run.add_argument("--data-dir", type=Path, default=Path("var/provisioning-runs"))

    token = sub.add_parser("token", help="create a one-time enrolment token")
    token.add_argument("--marketplace", required=True, help="base URL")
    token.add_argument("--appliance", type=int, required=True)
    token.add_argument("--hours", type=int, default=24)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "wheelhouse":
            print(wheelhouse.build(args.out))
        elif args.command == "rootfs":
            base = rootfs.ensure_base(args.cache, suite=args.suite, arch=args.arch)
            print(rootfs.working_copy(base, args.dest))
        elif args.command == "run":
            return _run(args)
        elif args.command == "token":
            return _token(args)
    except ProvisioningError as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 2
    return 0


def _run(args: argparse.Namespace) -> int:
    extra = dict(_pair(item) for item in args.extra_var)
    request = RunRequest(
        inventory=args.inventory,
        data_dir=args.data_dir,
        extra_vars=extra,
        playbook=args.playbook,
        project_dir=args.project_dir,
        check_mode=args.check,
    )
    bar = ProgressBar(estimate_tasks(args.project_dir), sys.stderr)
    summary = run_playbook(request, on_progress=bar.update)
    bar.close()
    print_summary(summary, sys.stdout)
    return 0 if summary.succeeded else 1


def _pair(item: str) -> tuple[str, str]:
    key, sep, value = item.partition("=")
    if not sep or not key:
        raise ProvisioningError(f"Zusatzvariable „{item}“: erwartet wird NAME=WERT.")
    return key, value


def _token(args: argparse.Namespace) -> int:
    bearer = os.environ.get("MARKETPLACE_TOKEN", "")
    if not bearer:
        raise ProvisioningError("Bitte das API-Token in MARKETPLACE_TOKEN setzen.")
    url = f"{args.marketplace.rstrip('/')}/api/v1/fleet/appliances/{args.appliance}"
    try:
        response = httpx.post(
            f"{url}/enrolment-tokens",
            json={"valid_hours": args.hours},
            headers={"Authorization": f"Bearer {bearer}"},
            timeout=30,
        )
    except httpx.TransportError as exc:
        raise ProvisioningError(f"Marktplatz nicht erreichbar: {exc}") from exc
    if response.status_code != 201:
        raise ProvisioningError(f"HTTP {response.status_code}: {response.text[:300]}")
    issued = response.json()
    print(issued["token"])
    print(f"gültig bis {issued['expires_at']}, nur einmal verwendbar", file=sys.stderr)
    return 0


def estimate_tasks(project_dir: Path = PROJECT_DIR) -> int:
    """Roughly how many tasks the play runs: the named tasks of the roles' topic
    files, plus fact gathering and one argument check per role."""
    roles = sorted((project_dir / "roles").iterdir())
    named = sum(
        len(re.findall(r"^- name:", path.read_text(encoding="utf-8"), re.MULTILINE))
        for role in roles
        for path in (role / "tasks").glob("*.yml")
        if path.name != "main.yml"
    )
    return named + 1 + len(roles)


class ProgressBar:
    """``[#####.....]  45/130 changed=12 failed=0  Install SANE`` on one line."""

    def __init__(self, total: int, out: TextIO, width: int = 30) -> None:
        self.total = max(1, total)
        self.out = out
        self.width = width
        self.started = 0
        self.counts = {"changed": 0, "failed": 0, "unreachable": 0}
        self.tty = out.isatty()

    def update(self, progress: Progress) -> None:
        if progress.outcome is None:
            self.started += 1
        elif progress.outcome in self.counts:
            self.counts[progress.outcome] += 1
        if progress.outcome in ("failed", "unreachable"):
            self._write(f"{progress.host}: {progress.task}: {progress.message}", True)
        if self.tty or progress.outcome is None:
            self._write(self.render(progress.task), not self.tty)

    def render(self, task: str) -> str:
        done = min(self.started, self.total)
        filled = int(self.width * done / self.total)
        counts = " ".join(f"{k}={v}" for k, v in self.counts.items())
        bar = "#" * filled + "." * (self.width - filled)
        return f"[{bar}] {self.started:>3}/{self.total} {counts}  {task[:50]}"

    def _write(self, text: str, newline: bool) -> None:
        prefix = "\r\033[K" if self.tty else ""
        self.out.write(prefix + text + ("\n" if newline else ""))
        self.out.flush()

    def close(self) -> None:
        if self.tty:
            self.out.write("\n")


def print_summary(summary: RunSummary, out: TextIO) -> None:
    mode = "Drift-Bericht (Prüfmodus)" if summary.check_mode else "Provisionierung"
    out.write(f"{mode}: {summary.status}\n")
    out.write(f"{'Station':30} ok changed failed unreachable skipped\n")
    for host in summary.hosts:
        out.write(
            f"{host.host:30} {host.ok:>2} {host.changed:>7} {host.failed:>6}"
            f" {host.unreachable:>11} {host.skipped:>7}\n"
        )
    for change in summary.changes if summary.check_mode else []:
        out.write(f"  würde ändern: {change.host}: {change.task}\n")
    out.write(f"Artefakte: {summary.artifacts}\n")
