"""Provisioning benchmark: first run, idempotent second run, and the driver's
overhead against ``ansible-playbook`` called directly, all in one run on one fresh
copy of the cached debootstrap tree (needs root, like the tests).

    sudo .venv/bin/python benchmarks/provisioning.py [--cache DIR] [--keep]

Prints seconds and ratios measured side by side; nothing here asserts a target.
Enrolment is left out (no token), so no marketplace is needed.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# This script is named like the package it measures: the repository goes first.
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from provisioning import rootfs, wheelhouse  # noqa: E402
from provisioning.driver import (  # noqa: E402
    PROJECT_DIR,
    RunRequest,
    RunSummary,
    run_playbook,
)

HOST = "bench-station"


def inventory(tree: Path) -> dict[str, object]:
    host = {
        "ansible_host": str(tree),
        "ansible_connection": "community.general.chroot",
        "scanner_extra_backends": ["test"],
    }
    groups = ("pc", "rootfs", "ags_14713000")
    children: dict[str, object] = {g: {"hosts": {HOST: {}}} for g in groups}
    return {"scanstations": {"hosts": {HOST: host}, "children": children}}


def timed_driver(
    hosts: Path, folder: Path, extra: dict[str, str]
) -> tuple[float, RunSummary]:
    start = time.perf_counter()
    summary = run_playbook(
        RunRequest(inventory=hosts, data_dir=folder, extra_vars=extra)
    )
    return time.perf_counter() - start, summary


def timed_direct(hosts: Path, extra: dict[str, str]) -> tuple[float, int]:
    argv = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(hosts)]
    argv += ["-e", json.dumps(extra), str(PROJECT_DIR / "appliance.yml")]
    env = {**os.environ, "ANSIBLE_CONFIG": str(PROJECT_DIR / "ansible.cfg")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, check=False, env=env)
    return time.perf_counter() - start, done.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    default_cache = Path.home() / ".cache" / "efa-stack" / "provisioning"
    parser.add_argument("--cache", type=Path, default=default_cache)
    parser.add_argument("--keep", action="store_true", help="keep the work folder")
    args = parser.parse_args()
    if os.geteuid() != 0:
        print("needs root (chroot, mount)", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="provisioning-bench-"))
    start = time.perf_counter()
    base = rootfs.ensure_base(args.cache)
    base_s = time.perf_counter() - start
    archive = wheelhouse.build(work / "wheels")
    tree = rootfs.working_copy(base, work / "tree")
    hosts = work / "hosts.json"
    hosts.write_text(json.dumps(inventory(tree)))
    extra = {
        "scanstation_wheelhouse": str(archive),
        "scanstation_marketplace_url": "http://127.0.0.1:9",
    }
    try:
        with rootfs.mounted(tree):
            first_s, first = timed_driver(hosts, work / "run-1", extra)
            second_s, second = timed_driver(hosts, work / "run-2", extra)
            direct_s, direct_rc = timed_direct(hosts, extra)
    finally:
        if not args.keep:
            rootfs.remove(tree)
    print(f"base tree (cached or debootstrap) : {base_s:8.1f} s")
    print(
        f"first run (driver)                : {first_s:8.1f} s  "
        f"changed={first.host(HOST).changed} status={first.status}"
    )
    print(
        f"second run (driver, idempotent)   : {second_s:8.1f} s  "
        f"changed={second.host(HOST).changed} status={second.status}"
    )
    print(f"third run (ansible-playbook)      : {direct_s:8.1f} s  rc={direct_rc}")
    print(f"ratio second / first              : {second_s / first_s:8.2f}")
    print(f"ratio driver / direct (idempotent): {second_s / direct_s:8.2f}")
    print(f"work folder: {work}")
    return 0 if first.succeeded and second.succeeded and direct_rc == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
