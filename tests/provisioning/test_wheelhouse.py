"""The wheelhouse: which dependencies a station gets, and a reproducible archive."""

from __future__ import annotations

import hashlib
import tarfile
from pathlib import Path

from provisioning.wheelhouse import REQUIREMENTS, appliance_requirements, build

PYPROJECT = """\
[project]
dependencies = [
    "litestar>=2.25,<3",
    "msgspec>=0.19",
    # appliance
    "numpy>=1.26",
    # appliance eID
    "pyscard>=2.0",
    # connectors
    "lxml>=5",
    # provisioning
    "ansible-core>=2.19,<2.20",
]
"""


def test_station_gets_the_common_and_appliance_blocks(tmp_path: Path) -> None:
    """GIVEN dependencies grouped under area comment lines WHEN the station's share
    is read THEN it is the common block and the appliance blocks, nothing after."""
    path = tmp_path / "pyproject.toml"
    path.write_text(PYPROJECT)
    assert appliance_requirements(path) == [
        "litestar>=2.25,<3",
        "msgspec>=0.19",
        "numpy>=1.26",
        "pyscard>=2.0",
    ]


def test_this_projects_station_requirements() -> None:
    """GIVEN this repository's pyproject.toml WHEN the station's share is read THEN
    the libraries enrolment and heartbeat need are in, the provisioning tools out."""
    names = [
        r.split(">")[0].split("=")[0].split("<")[0] for r in appliance_requirements()
    ]
    assert {"httpx", "cryptography", "msgspec"} <= set(names)
    assert not {"ansible", "ansible-core", "ansible-runner"} & set(names)


def test_archive_is_reproducible(tmp_path: Path) -> None:
    """GIVEN the same sources WHEN the wheelhouse is built twice (without extra
    dependencies) THEN both archives have the same bytes and hold the appliance
    wheel and the requirements list."""
    first = build(tmp_path / "one" / "wheels", requirements=[])
    second = build(tmp_path / "two" / "wheels", requirements=[])
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (first, second)]
    assert digest[0] == digest[1]
    with tarfile.open(first) as tar:
        names = tar.getnames()
    assert REQUIREMENTS in names
    assert any(n.startswith("efa_stack-0.1.0-") and n.endswith(".whl") for n in names)
