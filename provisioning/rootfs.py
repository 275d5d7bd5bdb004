"""Debian root file systems to provision with the chroot connection.

``ensure_base`` builds a minimal bookworm tree with ``debootstrap`` once and keeps
it in a cache folder; ``working_copy`` copies it for one run, so the cached tree is
never touched by a playbook. ``mounted`` provides ``/proc`` inside the tree for the
duration of a run. Like image builders, the base tree keeps package scripts from
starting daemons (``policy-rc.d``) and lets dpkg skip fsync.
"""

from __future__ import annotations

import logging
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from provisioning.driver import ProvisioningError

log = logging.getLogger(__name__)

MIRROR = "http://deb.debian.org/debian"
# python3 is what Ansible's modules run with; python3-apt is what its apt module uses.
INCLUDE = ("python3", "python3-apt", "ca-certificates")
_READY = ".debootstrap-complete"
# dpkg without fsync, as image builders do: a tree being built has nothing to lose.
_UNSAFE_IO = "force-unsafe-io\n"
_POLICY = "#!/bin/sh\n# Written by provisioning.rootfs: no daemons start in a chroot.\nexit 101\n"


def ensure_base(
    cache: Path, *, suite: str = "bookworm", arch: str = "amd64", mirror: str = MIRROR
) -> Path:
    """The cached base tree for ``suite``/``arch``, built on first use."""
    tree = cache / f"{suite}-{arch}"
    if (tree / _READY).exists():
        return tree
    if tree.exists():
        remove(tree)  # an interrupted build: start over
    cache.mkdir(parents=True, exist_ok=True)
    argv = ["debootstrap", "--variant=minbase", f"--arch={arch}"]
    argv += [f"--include={','.join(INCLUDE)}", suite, str(tree), mirror]
    log.info("debootstrap %s/%s into %s", suite, arch, tree)
    _run(argv)
    _unmount_all(tree)
    (tree / "usr/sbin/policy-rc.d").write_text(_POLICY, encoding="utf-8")
    (tree / "usr/sbin/policy-rc.d").chmod(0o755)
    (tree / "etc/dpkg/dpkg.cfg.d/provisioning-unsafe-io").write_text(_UNSAFE_IO)
    (tree / _READY).touch()
    return tree


def working_copy(base: Path, dest: Path) -> Path:
    """A fresh copy of ``base`` at ``dest`` (replacing what was there)."""
    if dest.exists():
        remove(dest)
    _run(["cp", "-a", "--reflink=auto", str(base), str(dest)])
    return dest


def remove(tree: Path) -> None:
    """Delete a tree; whatever is mounted in it is unmounted first, and ``rm`` is
    told to stay on this file system, so nothing outside the tree is touched."""
    _unmount_all(tree)
    _run(["rm", "-rf", "--one-file-system", str(tree)])


@contextmanager
def mounted(tree: Path) -> Iterator[Path]:
    """The kernel's ``/proc`` inside ``tree`` for a run, then unmounted again.

    Only ``/proc``: debootstrap leaves the static device nodes a package script
    needs in ``/dev``, and not binding the host's ``/dev`` means that deleting a
    tree can never reach the host's devices."""
    _run(["mount", "-t", "proc", "proc", str(tree / "proc")])
    try:
        yield tree
    finally:
        _unmount_all(tree)


def _unmount_all(tree: Path) -> None:
    for name in ("proc",):
        target = tree / name
        if _is_mount(target):
            _run(["umount", "--recursive", "--lazy", str(target)])


def _is_mount(path: Path) -> bool:
    return subprocess.run(["mountpoint", "-q", str(path)], check=False).returncode == 0  # noqa: S603,S607


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise ProvisioningError(
            f"{argv[0]} schlug fehl ({done.returncode}): {done.stderr.strip()[-800:]}"
        )
