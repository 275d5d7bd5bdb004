"""The driver around ansible-runner: typed summaries, progress events, failures,
unreachable hosts, and the ``provision`` command's progress bar and exit codes.

Real Ansible runs a small playbook (``project/marker.yml``) against folders on this
machine over the local connection; unreachable hosts are SSH on this machine's
loopback, where nothing listens on port 22.
"""

from __future__ import annotations

import io
import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from provisioning.cli import ProgressBar, estimate_tasks
from provisioning.driver import (
    Progress,
    ProvisioningError,
    RunRequest,
    run_playbook,
)
from tests.support.processes import VENV_BIN

PROJECT = Path(__file__).parent / "project"


def local(folder: Path) -> dict[str, str]:
    folder.mkdir(parents=True, exist_ok=True)
    return {
        "ansible_host": str(folder),
        "ansible_connection": "local",
        "ansible_python_interpreter": "{{ ansible_playbook_python }}",
    }


def request(tmp_path: Path, hosts: dict[str, Any], **extra: Any) -> RunRequest:
    return RunRequest(
        inventory={"all": {"hosts": hosts}},
        data_dir=tmp_path / "run",
        project_dir=PROJECT,
        playbook="marker.yml",
        **extra,
    )


def test_summary_and_progress_of_a_run(tmp_path: Path) -> None:
    """GIVEN two local stations WHEN the play runs, then runs again THEN the first
    summary counts one change per station, progress came as task start plus one
    result per station, and the second run changes nothing."""
    hosts = {"a": local(tmp_path / "a"), "b": local(tmp_path / "b")}
    seen: list[Progress] = []
    first = run_playbook(request(tmp_path, hosts), on_progress=seen.append)
    second = run_playbook(request(tmp_path, hosts))
    assert first.succeeded
    assert [(h.host, h.changed) for h in first.hosts] == [("a", 1), ("b", 1)]
    assert [p.outcome for p in seen if p.task == "Write the marker"] == [
        None,
        "changed",
        "changed",
    ]
    assert [p.seq for p in seen] == list(range(1, len(seen) + 1))
    assert second.succeeded
    assert sum(h.changed for h in second.hosts) == 0
    assert (tmp_path / "a" / "marker").read_text() == "da\n"


def test_check_mode_reports_drift_without_changing(tmp_path: Path) -> None:
    """GIVEN a station whose marker differs from what the play writes WHEN the
    play runs in check mode THEN the change is listed and the file is untouched."""
    hosts = {"a": local(tmp_path / "a")}
    (tmp_path / "a" / "marker").write_text("alt\n")
    report = run_playbook(request(tmp_path, hosts, check_mode=True))
    assert report.check_mode
    assert [(c.host, c.task) for c in report.changes] == [("a", "Write the marker")]
    assert (tmp_path / "a" / "marker").read_text() == "alt\n"


def test_failure_and_unreachable_are_told_apart(tmp_path: Path) -> None:
    """GIVEN one station told to fail and one that cannot be reached WHEN the play
    runs THEN one counts failed with its message, the other unreachable; a broken
    progress listener does not stop the run."""
    hosts = {
        "a": local(tmp_path / "a"),
        "offline": {"ansible_host": "127.0.0.1", "ansible_connection": "ssh"},
    }

    def broken(progress: Progress) -> None:
        raise RuntimeError("listener crashed")

    summary = run_playbook(
        request(tmp_path, hosts, extra_vars={"marker_fail": "true"}), on_progress=broken
    )
    assert not summary.succeeded
    assert (summary.host("a").failed, summary.host("a").unreachable) == (1, 0)
    assert (summary.host("offline").failed, summary.host("offline").unreachable) == (
        0,
        1,
    )
    messages = {f.host: f.message for f in summary.failures}
    assert "Absichtlicher Fehler" in messages["a"]
    assert "ssh" in messages["offline"].lower()


def test_missing_playbook_is_a_clear_error(tmp_path: Path) -> None:
    """GIVEN a playbook name that does not exist WHEN a run is asked for THEN a
    German error names it before anything starts."""
    bad = RunRequest(
        inventory={"all": {"hosts": {}}},
        data_dir=tmp_path,
        project_dir=PROJECT,
        playbook="gibt-es-nicht.yml",
    )
    with pytest.raises(ProvisioningError, match=r"gibt-es-nicht\.yml"):
        run_playbook(bad)


def test_progress_bar_renders_counts() -> None:
    """GIVEN a bar for 4 tasks, not on a terminal WHEN two tasks started and one
    host failed THEN a bar line per task start shows progress and counts, and the
    failure gets its own line."""
    out = io.StringIO()
    bar = ProgressBar(4, out, width=8)
    bar.update(Progress(seq=1, host=None, task="Install SANE"))
    bar.update(Progress(seq=2, host="a", task="Install SANE", outcome="changed"))
    bar.update(Progress(seq=3, host=None, task="Enrol"))
    bar.update(
        Progress(seq=4, host="a", task="Enrol", outcome="failed", message="nein")
    )
    assert out.getvalue().splitlines() == [
        "[##......]   1/4 changed=0 failed=0 unreachable=0  Install SANE",
        "[####....]   2/4 changed=1 failed=0 unreachable=0  Enrol",
        "a: Enrol: nein",
    ]
    assert estimate_tasks() > 40


def test_provision_command_exit_codes(tmp_path: Path) -> None:
    """GIVEN the ``provision run`` command WHEN the play succeeds, fails, or gets a
    malformed extra variable THEN it exits 0, 1 and 2 and prints the summary."""
    inventory = tmp_path / "hosts.json"
    inventory.write_text(json.dumps({"all": {"hosts": {"a": local(tmp_path / "a")}}}))

    def provision(*extra: str) -> subprocess.CompletedProcess[str]:
        argv = [str(VENV_BIN / "provision"), "run", "-i", str(inventory)]
        argv += ["--playbook", "marker.yml", "--project-dir", str(PROJECT)]
        argv += ["--data-dir", str(tmp_path / "runs")]
        return subprocess.run(
            [*argv, *extra],
            capture_output=True,
            text=True,
            check=False,
            env={"PATH": "/usr/bin:/bin"},
        )

    ok = provision()
    failed = provision("-e", "marker_fail=true")
    malformed = provision("-e", "ohne-gleichheitszeichen")
    assert (ok.returncode, failed.returncode, malformed.returncode) == (0, 1, 2)
    assert "Provisionierung: successful" in ok.stdout
    assert "a: Fail when asked to: Absichtlicher Fehler" in failed.stderr
    assert "NAME=WERT" in malformed.stderr
