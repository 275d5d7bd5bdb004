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
import re
import subprocess
import sys
import tarfile
from collections.abc import Sequence
from pathlib import Path

from provisioning.driver import PROJECT_DIR, ProvisioningError

SOURCE_DIR = PROJECT_DIR.parent
REQUIREMENTS = "requirements.txt"


def appliance_requirements(
    pyproject: Path = SOURCE_DIR / "pyproject.toml",
) -> list[str]:
    """What the station needs of ``project.dependencies``: the common block and the
    ``# appliance ...`` blocks, up to the comment line of the next area
    (``# connectors``): pyproject.toml groups dependencies by area that way."""
    lines = pyproject.read_text(encoding="utf-8").splitlines()
    wanted: list[str] = []
    for line in lines[lines.index("dependencies = [") + 1 :]:
        text = line.strip()
        if text == "]":
            break
        area = re.fullmatch(r"#\s*([a-z]+)\b.*", text)
        if area and area[1] != "appliance":
            break
        if text.startswith('"'):
            wanted.append(text.rstrip(",").strip('"'))
    return wanted


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
    """Put the project wheel, the dependency wheels and ``requirements.txt`` (what
    the station installs) into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("efa_stack-*.whl"):
        old.unlink()
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check", "-q"]
    _run([*pip, "wheel", "--no-deps", "--wheel-dir", str(dest), str(source)])
    wanted = list(
        requirements if requirements is not None else appliance_requirements()
    )
    listing = dest / REQUIREMENTS
    listing.write_text("".join(f"{r}\n" for r in wanted), encoding="utf-8")
    if wanted:
        # Wheels from the index or pip's cache; packages without one for this
        # platform (pyscard) are built here, where compilers and headers are.
        _run([*pip, "wheel", "--wheel-dir", str(dest), "-r", str(listing)])
    return [*sorted(dest.glob("*.whl")), listing]


def _run(argv: list[str]) -> None:
    # A fixed SOURCE_DATE_EPOCH makes the project wheel byte-for-byte reproducible.
    env = {**os.environ, "SOURCE_DATE_EPOCH": "315532800"}
    done = subprocess.run(argv, capture_output=True, text=True, check=False, env=env)  # noqa: S603
    if done.returncode != 0:
        raise ProvisioningError(
            f"Das Wheelhouse ließ sich nicht bauen ({' '.join(argv[3:5])}): "
            f"{done.stderr.strip()[-800:]}"
        )
