"""The wheelhouse: the appliance wheel and its dependencies' wheels in one folder.

The ``scanstation`` role copies this folder to the station and installs from it with
``--no-index``, so a station needs no Python package index, only its Debian mirror.
Built on the controller from a source checkout; dependency wheels come from the pip
cache or PyPI when the wheelhouse is built, never when a station is provisioned.
"""

from __future__ import annotations

import subprocess
import sys
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
) -> list[Path]:
    """Fill ``dest`` with the project wheel and the dependency wheels; return them."""
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
    done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise ProvisioningError(
            f"Das Wheelhouse ließ sich nicht bauen ({' '.join(argv[3:5])}): "
            f"{done.stderr.strip()[-800:]}"
        )
