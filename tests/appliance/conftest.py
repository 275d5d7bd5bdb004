"""Fixtures of the scanning pipeline tests: a job context on real files (SQLite-free:
the scan log is a real file, the key a real Ed25519 key) in the test's folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import msgspec
import pytest

from appliance.integrity import load_or_create_key
from appliance.job import JobContext, Router, no_rules
from appliance.scanlog import ScanLog
from appliance.settings import PipelineSettings, ScanProfile

MakeJob = Callable[..., JobContext]


@pytest.fixture
def make_job(tmp_path: Path) -> MakeJob:
    """A factory for job contexts sharing one key and scan log per test."""
    key = load_or_create_key(tmp_path / "state" / "appliance-key.pem")
    log = ScanLog(tmp_path / "state" / "scan-log.jsonl")
    count = 0

    def make(
        settings: PipelineSettings | None = None,
        *,
        router: Router = no_rules,
        keep_work: bool = True,
        dpi: int = 150,
    ) -> JobContext:
        nonlocal count
        count += 1
        settings = settings or PipelineSettings(profile=ScanProfile(resolution=dpi))
        if keep_work:
            settings = msgspec.structs.replace(settings, keep_work=True)
        return JobContext(
            settings=settings,
            work_dir=tmp_path / f"work{count}",
            out_dir=tmp_path / "out",
            key=key,
            scan_log=log,
            router=router,
            label=f"batch{count}",
        )

    return make
