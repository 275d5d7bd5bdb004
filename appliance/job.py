"""The job context every stage receives: settings, the work folder, the signing key,
the scan log, the router and a progress callback (like OCRmyPDF's ``_jobcontext``).

Intermediate files are named ``<page>_<stage>.<ext>`` (``0003_deskew.png``) in a
per-batch work folder that is removed after the batch unless ``keep_work`` is set.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from appliance._exec import tesseract
from appliance.model import RoutingDecision, RoutingInput
from appliance.scanlog import ScanLog
from appliance.settings import PipelineSettings

NO_RULES = RoutingDecision(office=None, needs_review=True, reason="keine Routingregeln")


class Router(Protocol):
    """Maps one separated document to a routing decision.

    Must not raise for any document: when no rule applies it returns a decision with
    ``needs_review=True`` and a German ``reason``. ``appliance.routing`` provides the
    real one; without it the pipeline uses ``NO_RULES``.
    """

    def __call__(self, doc: RoutingInput, /) -> RoutingDecision: ...


def no_rules(doc: RoutingInput, /) -> RoutingDecision:
    return NO_RULES


Progress = Callable[[str, int, int], None]  # (stage, done, total)


def _silent(stage: str, done: int, total: int) -> None:
    return None


@dataclass
class JobContext:
    settings: PipelineSettings
    work_dir: Path
    out_dir: Path
    key: Ed25519PrivateKey
    scan_log: ScanLog
    router: Router = no_rules
    progress: Progress = _silent
    batch_id: str = field(default_factory=lambda: uuid.uuid4().hex[:16])
    label: str = ""  # output file names start with it; the batch id when empty
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def __post_init__(self) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.label = self.label or self.batch_id

    @cached_property
    def tesseract_version(self) -> str:
        return tesseract.version()

    def stage_path(self, page: int, stage: str, ext: str) -> Path:
        """``work_dir/0003_deskew.png`` for page 3 of stage ``deskew``."""
        return self.work_dir / f"{page:04d}_{stage}.{ext}"

    @property
    def workers(self) -> int:
        return self.settings.ocr_workers or os.cpu_count() or 1
