"""The provisioned station shared by the root file system tests: a working copy of
the cached debootstrap tree, a marketplace process on the host end of a veth pair,
and three runs of the play (see ``provisioned`` for the sequence).

No systemd runs inside a chroot: tasks that enable units are verified by the unit
files and the ``*.wants`` symlinks they leave, not by running services.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import msgspec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from provisioning import rootfs
from provisioning.driver import RunRequest, RunSummary, run_playbook
from tests.provisioning.netns import NetNs, unique
from tests.support.processes import VENV_BIN, LiveProcess, free_port

HOST = "leipzig-scan-1"
ENROL_TASK = "Enrol with the one-time token (skipped once a credential exists)"
PYTHON = "/opt/scanstation/venv/bin/python"
SETTINGS = "/etc/scanstation/settings.json"


class Station(msgspec.Struct, kw_only=True):
    tree: Path
    ns: NetNs
    base: str
    db: Path  # the marketplace's database file, to count what arrived
    operator: dict[str, str]
    appliance_id: int
    first: RunSummary
    second_stdout: str
    second_rc: int
    third: RunSummary
    credential_after_first: bool


def inventory(tree: Path) -> dict[str, Any]:
    """The station as a root file system in the pc and Leipzig groups."""
    admin_key = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(
            serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
        )
        .decode()
    )
    host = {
        "ansible_host": str(tree),
        "ansible_connection": "community.general.chroot",
        "scanner_extra_backends": ["test"],
        "hardening_admin_authorized_keys": [f"{admin_key} betrieb@test"],
    }
    groups = ("pc", "rootfs", "ags_14713000")
    return {
        "scanstations": {
            "hosts": {HOST: host},
            "children": {g: {"hosts": {HOST: {}}} for g in groups},
        }
    }


def start_marketplace(folder: Path, host: str) -> tuple[LiveProcess, str]:
    port = free_port()
    argv = [str(VENV_BIN / "marketplace"), "--db", str(folder / "mp.sqlite3"), "serve"]
    argv += ["--host", host, "--port", str(port), "--seed-demo"]
    live = LiveProcess(argv, folder / "marketplace.log", {})
    base = f"http://{host}:{port}"
    live.wait_http(f"{base}/health")
    return live, base


def register(base: str, tree: Path) -> tuple[dict[str, str], int, str]:
    token = httpx.post(
        f"{base}/api/v1/auth/tokens",
        json={"login": "betrieb", "password": "demo-betrieb"},
    ).json()["token"]
    operator = {"Authorization": f"Bearer {token}"}
    station = httpx.post(
        f"{base}/api/v1/fleet/appliances",
        json={
            "name": HOST,
            "municipality_ags": "14713000",
            "hardware_kind": "pc",
            "rollout_group": "pilot",
            "connection": "chroot",
            "address": str(tree),
        },
        headers=operator,
    ).json()
    issued = httpx.post(
        f"{base}/api/v1/fleet/appliances/{station['id']}/enrolment-tokens",
        json={"valid_hours": 1},
        headers=operator,
    ).json()
    return operator, station["id"], issued["token"]


def provisioned(base_tree: Path, wheelhouse: Path, folder: Path) -> Iterator[Station]:
    """1. a first run whose enrolment finds the marketplace unreachable fails half
    way; 2. the ``provision`` command runs again with the marketplace up and
    completes it; 3. a third run changes nothing."""
    tree = rootfs.working_copy(base_tree, folder / "tree")
    ns = NetNs(*unique()).create()
    live: LiveProcess | None = None
    try:
        live, base = start_marketplace(folder, ns.host_ip)
        operator, appliance_id, token = register(base, tree)
        hosts = folder / "inventory.json"
        hosts.write_text(json.dumps(inventory(tree)))
        common = {"scanstation_wheelhouse": str(wheelhouse)}
        common["scanstation_enrolment_token"] = token
        unreachable = f"http://{ns.host_ip}:{free_port()}"
        with rootfs.mounted(tree):
            first = run_playbook(
                RunRequest(
                    inventory=hosts,
                    data_dir=folder / "run-1",
                    extra_vars={**common, "scanstation_marketplace_url": unreachable},
                )
            )
            credential = (tree / "var/lib/scanstation/credential.json").exists()
            extra = {**common, "scanstation_marketplace_url": base}
            second = subprocess.run(
                [str(VENV_BIN / "provision"), "run", "-i", str(hosts)]
                + [a for k, v in extra.items() for a in ("-e", f"{k}={v}")]
                + ["--data-dir", str(folder / "run-2")],
                capture_output=True,
                text=True,
                check=False,
            )
            third = run_playbook(
                RunRequest(inventory=hosts, data_dir=folder / "run-3", extra_vars=extra)
            )
            yield Station(
                tree=tree,
                ns=ns,
                base=base,
                db=folder / "mp.sqlite3",
                operator=operator,
                appliance_id=appliance_id,
                first=first,
                second_stdout=second.stdout + second.stderr[-3000:],
                second_rc=second.returncode,
                third=third,
                credential_after_first=credential,
            )
    finally:
        if live is not None:
            live.stop()
        ns.remove()
        rootfs.remove(tree)


def in_tree(station: Station, *argv: str, netns: bool = False, user: str = "") -> Any:
    """Run a program of the provisioned tree (as ``user``, in the namespace)."""
    chroot = ["chroot"] + ([f"--userspec={user}:{user}"] if user else [])
    command = [*chroot, str(station.tree), *argv]
    if netns:
        command = station.ns.wrap(command)
    return subprocess.run(command, capture_output=True, check=False, timeout=120)


def appliance(station: Station) -> dict[str, Any]:
    response = httpx.get(
        f"{station.base}/api/v1/fleet/appliances/{station.appliance_id}",
        headers=station.operator,
    )
    found: dict[str, Any] = response.json()
    return found
