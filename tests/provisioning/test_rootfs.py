"""The real thing: the appliance playbook into a debootstrap bookworm tree over the
``community.general.chroot`` connection, driven by ansible-runner, then the station
started from that tree in its own network namespace talks to a marketplace process
on the host.

Sequence (one tree per session, module-scoped fixture):

1. a first run whose enrolment finds the marketplace unreachable fails half way;
2. the ``provision`` command runs again with the marketplace up and completes it;
3. a third run changes nothing (idempotence, and no second enrolment).

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
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image, ImageDraw, ImageFont

from provisioning import rootfs
from provisioning.driver import RunRequest, RunSummary, run_playbook
from tests.provisioning.netns import NetNs, unique
from tests.support.processes import VENV_BIN, LiveProcess, free_port

# One debootstrap copy and three runs of the whole play: minutes, not seconds.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

HOST = "leipzig-scan-1"
ENROL_TASK = "Enrol with the one-time token (skipped once a credential exists)"
PYTHON = "/opt/scanstation/venv/bin/python"
SETTINGS = "/etc/scanstation/settings.json"


class Station(msgspec.Struct, kw_only=True):
    tree: Path
    ns: NetNs
    base: str
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


@pytest.fixture(scope="module")
def station(
    base_tree: Path, wheelhouse_archive: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Station]:
    folder = tmp_path_factory.mktemp("station")
    tree = rootfs.working_copy(base_tree, folder / "tree")
    ns = NetNs(*unique()).create()
    live: LiveProcess | None = None
    try:
        live, base = start_marketplace(folder, ns.host_ip)
        operator, appliance_id, token = register(base, tree)
        hosts = folder / "inventory.json"
        hosts.write_text(json.dumps(inventory(tree)))
        common = {"scanstation_wheelhouse": str(wheelhouse_archive)}
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


def test_half_way_failure_is_completed_by_the_next_run(station: Station) -> None:
    """GIVEN a first run whose marketplace cannot be reached WHEN it ends THEN it
    failed at the enrolment task only, after installing everything before it, and
    left no credential; the ``provision`` run with the marketplace up completes it
    and the station is enrolled."""
    first = station.first.host(HOST)
    assert station.first.status == "failed"
    assert (first.failed, first.unreachable) == (1, 0)
    assert first.changed > 30
    assert [f.task for f in station.first.failures] == [ENROL_TASK]
    assert "nicht erreichbar" in station.first.failures[0].message
    assert not station.credential_after_first
    assert station.second_rc == 0, station.second_stdout
    row = next(
        line for line in station.second_stdout.splitlines() if line.startswith(HOST)
    )
    _ok, changed, failed, unreachable, _ = map(int, row.split()[1:])
    assert (failed, unreachable) == (0, 0)
    assert changed >= 1
    assert appliance(station)["state"] == "enrolled"


def test_third_run_changes_nothing(station: Station) -> None:
    """GIVEN a completed station WHEN the same play runs again THEN nothing changes
    (changed=0), and the spent token is not sent again (it would be refused)."""
    assert station.third.succeeded, station.third.failures
    assert station.third.host(HOST).changed == 0, station.third.changes


def test_installed_programs_run_inside_the_tree(
    station: Station, tmp_path: Path
) -> None:
    """GIVEN the provisioned tree WHEN tesseract reads a rendered German line,
    scanimage scans from the SANE test backend and the appliance's Python imports
    its pipeline libraries THEN each succeeds inside the tree."""
    page = Image.new("L", (1400, 200), 255)
    font = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", 64)
    ImageDraw.Draw(page).text((40, 50), "Posteingang Leipzig", font=font, fill=0)
    page.save(station.tree / "root/page.png", dpi=(300, 300))
    ocr = in_tree(station, "tesseract", "/root/page.png", "-", "-l", "deu")
    assert b"Posteingang" in ocr.stdout, ocr.stderr
    scan = in_tree(
        station, "scanimage", "-d", "test", "--format=pnm", "-x", "20", "-y", "20"
    )
    assert scan.returncode == 0, scan.stderr
    assert scan.stdout[:2] in (b"P5", b"P6")
    imports = "import cv2, zxingcpp, pikepdf, img2pdf, appliance.enrolment; print('ok')"
    python = in_tree(station, PYTHON, "-c", imports)
    assert python.stdout.strip() == b"ok", python.stderr
    version = in_tree(station, "/opt/scanstation/venv/bin/appliance", "--help")
    assert version.returncode == 0, version.stderr


def test_units_and_symlinks_left_for_systemd(station: Station) -> None:
    """GIVEN no systemd in a chroot WHEN the play enabled units THEN the unit
    files and the ``*.wants`` symlinks systemd would follow at boot are there, the
    heartbeat unit carries its hardening options, and AusweisApp is a lingering
    user service of the station user."""
    etc = station.tree / "etc/systemd"
    unit = etc / "system/scanstation-heartbeat.service"
    wants = etc / "system/multi-user.target.wants/scanstation-heartbeat.service"
    assert wants.is_symlink()
    assert str(wants.readlink()) == "/etc/systemd/system/scanstation-heartbeat.service"
    text = unit.read_text()
    for option in ("NoNewPrivileges=yes", "ProtectSystem=strict", "User=scanstation"):
        assert option in text
    assert "Restart=always" in text
    for link in (
        "system/sysinit.target.wants/nftables.service",
        "system/sockets.target.wants/pcscd.socket",
        "system/multi-user.target.wants/ssh.service",
        "system/sysinit.target.wants/systemd-timesyncd.service",
    ):
        assert (etc / link).is_symlink(), link
    home = station.tree / "var/lib/scanstation"
    user_link = home / ".config/systemd/user/default.target.wants/ausweisapp.service"
    assert user_link.is_symlink()
    assert (station.tree / "var/lib/systemd/linger/scanstation").exists()
    assert "--ui websocket" in (etc / "user/ausweisapp.service").read_text()


def test_hardening_is_in_place(station: Station) -> None:
    """GIVEN the provisioned tree WHEN sshd and nft read their configuration THEN
    root login and passwords are off, and the firewall drops by default."""
    sshd = in_tree(
        station, "/usr/sbin/sshd", "-T", "-C", "user=betrieb,host=x,addr=10.0.0.1"
    )
    effective = sshd.stdout.decode()
    assert "permitrootlogin no" in effective, sshd.stderr
    assert "passwordauthentication no" in effective
    nft = in_tree(station, "/usr/sbin/nft", "-c", "-f", "/etc/nftables.conf")
    assert nft.returncode == 0, nft.stderr
    assert "policy drop" in (station.tree / "etc/nftables.conf").read_text()
    passwd = (station.tree / "etc/passwd").read_text()
    assert "scanstation:" in passwd
    assert "/usr/sbin/nologin" in next(
        line for line in passwd.splitlines() if line.startswith("scanstation:")
    )


COMMIT = """
import sys
from pathlib import Path
import img2pdf
from appliance.outbox import DocumentMetadata, Outbox
pdf = Path("/var/lib/scanstation/testseite.pdf")
pdf.write_bytes(img2pdf.convert("/var/lib/scanstation/scan.png"))
meta = DocumentMetadata(appliance_id="leipzig-scan-1", filename=pdf.name, page_count=1)
print(Outbox(Path(sys.argv[1])).commit(pdf, meta).sha256)
"""


def test_station_in_its_namespace_delivers_a_scanned_page(station: Station) -> None:
    """GIVEN the provisioned station WHEN it scans a page from the SANE test
    backend, commits the PDF to its outbox and, inside its network namespace, runs
    ``appliance outbox deliver`` THEN the marketplace's intake holds the document
    under its hash for Leipzig. The intake accepts only the bearer token of a
    municipality account today, so the delivery uses Leipzig's demo account, not
    the station's signature (see docs/provisioning.md)."""
    token = httpx.post(
        f"{station.base}/api/v1/auth/tokens",
        json={"login": "leipzig-einkauf", "password": "demo-leipzig"},
    ).json()["token"]
    home = station.tree / "var/lib/scanstation"
    (home / "intake-token").write_text(token)
    (home / "station.toml").write_text(
        '[outbox]\nfolder = "/var/lib/scanstation/outbox"\n'
        f'intake_url = "{station.base}"\n'
        'token_file = "/var/lib/scanstation/intake-token"\nreserve_bytes = 0\n'
    )
    in_tree(
        station, "chown", "scanstation:scanstation", "/var/lib/scanstation/intake-token"
    )
    user = "scanstation"
    scan = in_tree(
        station,
        "scanimage",
        "-d",
        "test",
        "--format=png",
        "--resolution",
        "150",
        "--output-file=/var/lib/scanstation/scan.png",
        user=user,
    )
    assert scan.returncode == 0, scan.stderr
    commit = in_tree(
        station, PYTHON, "-c", COMMIT, "/var/lib/scanstation/outbox", user=user
    )
    assert commit.returncode == 0, commit.stderr
    sha256 = commit.stdout.decode().strip()
    deliver = in_tree(
        station,
        "/opt/scanstation/venv/bin/appliance",
        "outbox",
        "--settings",
        "/var/lib/scanstation/station.toml",
        "deliver",
        "--until-empty",
        netns=True,
        user=user,
    )
    assert deliver.returncode == 0, deliver.stderr
    documents = httpx.get(
        f"{station.base}/api/v1/intake/documents",
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert [d["sha256"] for d in documents] == [sha256]


def test_station_in_its_namespace_beats_and_is_refused_once_revoked(
    station: Station,
) -> None:
    """GIVEN the station started from the tree, as its service user, in its own
    network namespace WHEN it sends a heartbeat THEN the marketplace shows its
    health, received over the veth link; a re-run of the enrolment there does not
    enrol again; WHEN the operator revokes it THEN its next beat is refused (3)."""
    beat = in_tree(
        station,
        PYTHON,
        "-m",
        "appliance.heartbeat",
        "--settings",
        SETTINGS,
        "--once",
        netns=True,
        user="scanstation",
    )
    assert beat.returncode == 0, beat.stderr
    shown = appliance(station)
    assert shown["last_heartbeat_from"] == station.ns.ns_ip
    assert shown["health"]["tesseract"].startswith("tesseract 5")
    assert shown["health"]["scanner"].startswith("scanimage")
    assert shown["health"]["reader"] is not None
    assert shown["software_version"] == "0.1.0"
    assert (shown["health"]["outbox_depth"], shown["health"]["dead_letters"]) == (0, 0)
    again = in_tree(
        station,
        "env",
        "SCANSTATION_ENROLMENT_TOKEN=mpe_irrelevant",
        PYTHON,
        "-m",
        "appliance.enrolment",
        "--settings",
        SETTINGS,
        netns=True,
        user="scanstation",
    )
    assert again.returncode == 0, again.stderr
    assert "bereits angemeldet" in again.stdout.decode()
    httpx.post(
        f"{station.base}/api/v1/fleet/appliances/{station.appliance_id}/revoke",
        headers=station.operator,
    )
    refused = in_tree(
        station,
        PYTHON,
        "-m",
        "appliance.heartbeat",
        "--settings",
        SETTINGS,
        "--once",
        netns=True,
        user="scanstation",
    )
    assert refused.returncode == 3, refused.stderr
    assert "gesperrt" in refused.stderr.decode()
