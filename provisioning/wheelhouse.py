"""The wheelhouse: the appliance wheel and its dependencies' wheels in one archive.

The ``scanstation`` role copies the archive to the station, unpacks it and installs
from it with ``--no-index``, so a station needs no Python package index, only its
Debian mirror. The archive is reproducible (sorted names, fixed times and owners):
built again from the same sources it has the same bytes, and a re-run of the play
copies nothing.
Built on the controller from a source checkout; dependency wheels come from the pip
cache or PyPI when the wheelhouse is built, never when a station is provisioned.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from collections.abc import Sequence
from pathlib import Path

import yaml  # type: ignore[import-untyped]

from provisioning.driver import PROJECT_DIR, ProvisioningError

SOURCE_DIR = PROJECT_DIR.parent
ROLE_DEFAULTS = PROJECT_DIR / "roles" / "scanstation" / "defaults" / "main.yml"


def appliance_requirements() -> list[str]:
    """The appliance's runtime dependencies, as the scanstation role lists them."""
    defaults = yaml.safe_load(ROLE_DEFAULTS.read_text(encoding="utf-8"))
    return [str(name) for name in defaults["scanstation_python_packages"]]


def build(
    dest: Path,
    *,
    source: Path = SOURCE_DIR,
    requirements: Sequence[str] | None = None,
) -> Path:
    """Fill the folder ``dest`` with the project wheel and the dependency wheels and
    pack them into ``dest/../<dest name>.tar``; return the archive."""
    wheels = collect(dest, source=source, requirements=requirements)
    archive = dest.parent / f"{dest.name}.tar"
    tmp = archive.with_suffix(".tar.tmp")
    with tarfile.open(tmp, "w") as tar:
        for wheel in wheels:
            info = tar.gettarinfo(str(wheel), arcname=wheel.name)
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            info.mode = 0o644
            with wheel.open("rb") as handle:
                tar.addfile(info, handle)
    tmp.replace(archive)
    return archive


def collect(
    dest: Path,
    *,
    source: Path = SOURCE_DIR,
    requirements: Sequence[str] | None = None,
) -> list[Path]:
    """Put the project wheel and the dependency wheels into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("efa_stack-*.whl"):
        old.unlink()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    _run([*pip, "wheel", "--no-deps", "--wheel-dir", str(dest), str(source)])
    wanted = list(
        requirements if requirements is not None else appliance_requirements()
    )
    if wanted:
        _run([*pip, "download", "--only-binary=:all:", "--dest", str(dest), *wanted])
    return sorted(dest.glob("*.whl"))


def _run(argv: list[str]) -> None:
    # A fixed SOURCE_DATE_EPOCH makes the project wheel byte-for-byte reproducible.
    env = {**os.environ, "SOURCE_DATE_EPOCH": "315532800"}
    done = subprocess.run(argv, capture_output=True, text=True, check=False, env=env)  # noqa: S603
    if done.returncode != 0:
        raise ProvisioningError(
            f"Das Wheelhouse ließ sich nicht bauen ({' '.join(argv[3:5])}): "
            f"{done.stderr.strip()[-800:]}"
        )
