"""The one module that calls ``ansible_runner``.

``run_playbook`` builds a private data dir per run (inventory, extra vars, artifacts
kept for later reading), streams Ansible's job events as typed ``Progress`` values to
a callback (the terminal's progress bar, the marketplace's live events), and returns
a typed ``RunSummary``: ok, changed, failed, unreachable per host, and in check mode
the list of tasks that would change (the drift report).
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import ansible_runner
import msgspec

log = logging.getLogger(__name__)

PROJECT_DIR = Path(__file__).resolve().parent
DEFAULT_PLAYBOOK = "appliance.yml"

Outcome = Literal["ok", "changed", "failed", "unreachable", "skipped"]
_OUTCOMES: dict[str, Outcome] = {
    "runner_on_ok": "ok",
    "runner_on_failed": "failed",
    "runner_on_unreachable": "unreachable",
    "runner_on_skipped": "skipped",
    "runner_item_on_failed": "failed",
}


class ProvisioningError(Exception):
    """A run could not even start (missing playbook, bad inventory, ...)."""


class Progress(msgspec.Struct, kw_only=True, frozen=True):
    """One finished task on one host, or the start of a task (``outcome`` None)."""

    seq: int
    host: str | None
    task: str
    role: str | None = None
    outcome: Outcome | None = None
    message: str = ""


class Change(msgspec.Struct, kw_only=True, frozen=True):
    """A task that changed (or in check mode would change) something on a host."""

    host: str
    task: str
    role: str | None = None


class HostSummary(msgspec.Struct, kw_only=True, frozen=True):
    host: str
    ok: int = 0
    changed: int = 0
    failed: int = 0
    unreachable: int = 0
    skipped: int = 0

    @property
    def healthy(self) -> bool:
        return self.failed == 0 and self.unreachable == 0


class RunSummary(msgspec.Struct, kw_only=True, frozen=True):
    status: str  # ansible-runner's: successful, failed, timeout, canceled
    rc: int
    check_mode: bool
    hosts: list[HostSummary]
    changes: list[Change] = []
    failures: list[Progress] = []
    artifacts: str = ""

    @property
    def succeeded(self) -> bool:
        return self.status == "successful" and all(h.healthy for h in self.hosts)

    def host(self, name: str) -> HostSummary:
        for summary in self.hosts:
            if summary.host == name:
                return summary
        return HostSummary(host=name)


class RunRequest(msgspec.Struct, kw_only=True, frozen=True):
    """Everything one run needs. ``inventory`` is a YAML inventory as a mapping
    or the path of an inventory file; ``data_dir`` keeps inventory and artifacts."""

    inventory: dict[str, Any] | Path
    data_dir: Path
    extra_vars: dict[str, Any] = {}
    playbook: str = DEFAULT_PLAYBOOK
    project_dir: Path = PROJECT_DIR
    limit: str | None = None
    check_mode: bool = False
    timeout: int | None = None


OnProgress = Callable[[Progress], None]


def run_playbook(
    request: RunRequest,
    on_progress: OnProgress | None = None,
    cancel: threading.Event | None = None,
) -> RunSummary:
    """Run the playbook to the end; never raises for failing hosts, only reports."""
    playbook = request.project_dir / request.playbook
    if not playbook.is_file():
        raise ProvisioningError(f"Das Playbook {playbook} gibt es nicht.")
    request.data_dir.mkdir(parents=True, exist_ok=True)
    collector = _Collector(on_progress)
    runner = ansible_runner.run(
        private_data_dir=str(request.data_dir),
        project_dir=str(request.project_dir),
        playbook=request.playbook,
        inventory=_inventory(request),
        extravars=dict(request.extra_vars),
        limit=request.limit,
        cmdline="--check --diff" if request.check_mode else None,
        envvars=_environment(request.project_dir),
        event_handler=collector.handle,
        cancel_callback=(lambda: cancel.is_set()) if cancel else None,
        suppress_env_files=True,
        quiet=True,
        timeout=request.timeout,
    )
    return RunSummary(
        status=str(runner.status),
        rc=int(runner.rc if runner.rc is not None else -1),
        check_mode=request.check_mode,
        hosts=_hosts(runner.stats or {}),
        changes=collector.changes,
        failures=collector.failures,
        artifacts=str(request.data_dir / "artifacts"),
    )


class _Collector:
    """Turns ansible-runner's event dicts into ``Progress`` and remembers changes."""

    def __init__(self, on_progress: OnProgress | None) -> None:
        self._on_progress = on_progress
        self._seq = 0
        self.changes: list[Change] = []
        self.failures: list[Progress] = []

    def handle(self, event: Mapping[str, Any]) -> bool:
        progress = self._progress(event)
        if progress is not None:
            if progress.outcome in ("failed", "unreachable"):
                self.failures.append(progress)
            if self._on_progress is not None:
                try:
                    self._on_progress(progress)
                except Exception:  # a broken listener must not break the run
                    log.exception("progress listener failed")
        return True

    def _progress(self, event: Mapping[str, Any]) -> Progress | None:
        kind = str(event.get("event", ""))
        data: Mapping[str, Any] = event.get("event_data") or {}
        task = str(data.get("task") or data.get("name") or "")
        role = data.get("role") or None
        if kind == "playbook_on_task_start":
            self._seq += 1
            return Progress(seq=self._seq, host=None, task=task, role=role)
        outcome = _OUTCOMES.get(kind)
        if outcome is None or (data.get("ignore_errors") and outcome == "failed"):
            return None
        result: Mapping[str, Any] = data.get("res") or {}
        host = str(data.get("host", ""))
        if outcome == "ok" and result.get("changed"):
            outcome = "changed"
            self.changes.append(Change(host=host, task=task, role=role))
        self._seq += 1
        return Progress(
            seq=self._seq,
            host=host,
            task=task,
            role=role,
            outcome=outcome,
            message=_message(result) if outcome in ("failed", "unreachable") else "",
        )


def _message(result: Mapping[str, Any]) -> str:
    parts = [str(result.get("msg") or "")]
    stderr = [line.strip() for line in str(result.get("stderr") or "").splitlines()]
    errors = [line for line in stderr if "error" in line.lower()] or stderr[-1:]
    parts.extend(errors[:3])
    return " ".join(p for p in parts if p)[:500]


def _hosts(stats: Mapping[str, Mapping[str, int]]) -> list[HostSummary]:
    names = sorted(
        set().union(*(set(stats.get(k, {})) for k in ("processed", "dark", "failures")))
    )
    return [
        HostSummary(
            host=name,
            ok=stats.get("ok", {}).get(name, 0),
            changed=stats.get("changed", {}).get(name, 0),
            failed=stats.get("failures", {}).get(name, 0),
            unreachable=stats.get("dark", {}).get(name, 0),
            skipped=stats.get("skipped", {}).get(name, 0),
        )
        for name in names
    ]


def _inventory(request: RunRequest) -> str:
    if isinstance(request.inventory, Path):
        if not request.inventory.exists():
            raise ProvisioningError(f"Das Inventar {request.inventory} gibt es nicht.")
        return str(request.inventory.resolve())
    path = request.data_dir / "inventory" / "hosts.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(msgspec.json.encode(request.inventory))
    return str(path)


def _environment(project_dir: Path) -> dict[str, str]:
    return {
        "PATH": f"{_ansible_bin()}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
        "ANSIBLE_CONFIG": str(project_dir / "ansible.cfg"),
        "ANSIBLE_ROLES_PATH": str(project_dir / "roles"),
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_FORCE_COLOR": "0",
    }


def _ansible_bin() -> str:
    """The folder of ``ansible-playbook``: beside this interpreter (the virtual
    environment), even when that folder is not on ``PATH``."""
    beside = Path(sys.executable).parent
    if (beside / "ansible-playbook").exists():
        return str(beside)
    found = shutil.which("ansible-playbook")
    if found is None:
        raise ProvisioningError("ansible-playbook ist nicht installiert.")
    return str(Path(found).parent)
