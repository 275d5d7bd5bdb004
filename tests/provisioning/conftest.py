"""Provisioning fixtures: the cached debootstrap tree and this session's wheelhouse.

The base tree is built once per machine with debootstrap (about two minutes with
the download from the Debian mirror) and kept in ``$PROVISIONING_CACHE`` or
``~/.cache/efa-stack/provisioning``, outside the work tree, so a fresh clone on the
same machine (CI) reuses it. Every test session copies it and never changes it.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from provisioning import rootfs, wheelhouse
from tests.provisioning.tree import Station, provisioned


def cache_dir() -> Path:
    configured = os.environ.get("PROVISIONING_CACHE")
    if configured:
        return Path(configured)
    return Path.home() / ".cache" / "efa-stack" / "provisioning"


def require_root_tools() -> None:
    """The real provisioning tests need root (chroot, mount, ip netns)."""
    if os.geteuid() != 0:
        pytest.skip("needs root for chroot, mount and network namespaces")
    for tool in ("debootstrap", "ip", "chroot", "mount"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (scripts/bootstrap installs it)")


@pytest.fixture(scope="session")
def base_tree() -> Path:
    require_root_tools()
    return rootfs.ensure_base(cache_dir())


@pytest.fixture(scope="session")
def wheelhouse_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The appliance wheel built from this checkout, with its dependencies."""
    return wheelhouse.build(tmp_path_factory.mktemp("wheelhouse") / "wheels")


@pytest.fixture(scope="package")
def station(
    base_tree: Path, wheelhouse_archive: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Station]:
    """The provisioned tree, shared by ``test_rootfs`` and ``test_station_tree``
    (one debootstrap copy and three runs of the whole play: minutes)."""
    yield from provisioned(
        base_tree, wheelhouse_archive, tmp_path_factory.mktemp("station")
    )
