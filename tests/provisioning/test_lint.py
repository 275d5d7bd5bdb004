"""The Ansible content passes ansible-lint with the production profile."""

from __future__ import annotations

import subprocess
from pathlib import Path

from provisioning.driver import PROJECT_DIR
from tests.support.processes import VENV_BIN


def test_ansible_lint_production_profile_passes(tmp_path: Path) -> None:
    """GIVEN the roles, playbook, inventory and group_vars in provisioning/ WHEN
    ansible-lint checks them with the production profile THEN it reports nothing."""
    done = subprocess.run(
        [str(VENV_BIN / "ansible-lint"), "--profile", "production", "--nocolor"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
        env={"PATH": f"{VENV_BIN}:/usr/bin:/bin", "HOME": str(tmp_path)},
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Profile 'production' was required, and it passed" in done.stderr
