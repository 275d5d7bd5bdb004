"""The real thing: the appliance playbook into a debootstrap bookworm tree over the
``community.general.chroot`` connection, driven by ansible-runner (the shared
``station`` fixture, ``tests/provisioning/tree.py``): a first run fails half way
(marketplace unreachable at enrolment), the ``provision`` command completes it, a
third run changes nothing. Then the installed programs, units and hardening are
checked inside the tree; ``test_station_tree`` runs the station itself.

No systemd runs inside a chroot: tasks that enable units are verified by the unit
files and the ``*.wants`` symlinks they leave, not by running services.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.provisioning.tree import (
    ENROL_TASK,
    HOST,
    PYTHON,
    Station,
    appliance,
    in_tree,
)

# One debootstrap copy and three runs of the whole play: minutes, not seconds.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

SERVE = (
    "/opt/scanstation/venv/bin/appliance serve --settings /etc/scanstation/station.toml"
)
HARDENING = (
    "User=scanstation",
    "Restart=always",
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "ProtectHome=yes",
    "PrivateTmp=yes",
    "CapabilityBoundingSet=",
    "ReadWritePaths=/var/lib/scanstation /var/log/scanstation",
)


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
    heartbeat and the station service (``appliance serve`` with the rendered
    ``station.toml``, the scanner's USB devices only) carry their hardening options,
    and AusweisApp is a lingering user service of the station user."""
    etc = station.tree / "etc/systemd"
    for name in ("scanstation-heartbeat.service", "scanstation.service"):
        wants = etc / "system/multi-user.target.wants" / name
        assert wants.is_symlink(), name
        assert str(wants.readlink()) == f"/etc/systemd/system/{name}"
        text = (etc / "system" / name).read_text()
        for option in HARDENING:
            assert option in text.splitlines(), (name, option)
    station_unit = (etc / "system/scanstation.service").read_text()
    assert f"ExecStart={SERVE}" in station_unit.splitlines()
    assert "SupplementaryGroups=scanner" in station_unit.splitlines()
    assert "DeviceAllow=char-usb_device rw" in station_unit.splitlines()
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
