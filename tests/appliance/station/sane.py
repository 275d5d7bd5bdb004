"""The real SANE ``test`` backend with a configuration of the test's own.

``SANE_CONFIG_DIR`` points scanimage at a folder holding a ``dll.conf`` that loads
only the ``test`` backend and a copy of the system's ``test.conf``. The test
backend reads ``test.conf`` each time scanimage opens it, so rewriting it between
two scans changes what the device does next, as paper and faults do at a real
scanner: ``test-picture`` ("Grid" is a page with content, "Solid white" a blank
one) and ``read-status-code`` (``SANE_STATUS_JAMMED``, ``SANE_STATUS_COVER_OPEN``,
``SANE_STATUS_NO_DOCS``; "Default" scans normally).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

SYSTEM_CONF = Path("/etc/sane.d/test.conf")

needs_sane = pytest.mark.skipif(
    shutil.which("scanimage") is None or not SYSTEM_CONF.exists(),
    reason="sane-utils with the test backend missing: run scripts/bootstrap",
)


class SaneTestDevice:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "dll.conf").write_text("test\n", encoding="utf-8")
        self.set()

    @property
    def env(self) -> dict[str, str]:
        return {"SANE_CONFIG_DIR": str(self.folder)}

    def set(
        self, *, picture: str = "Grid", status: str = "Default", delay_us: int = 0
    ) -> None:
        """What the next scan brings: a picture, or a fault status; ``delay_us``
        slows every block the device sends (about ten blocks a page here)."""
        text = SYSTEM_CONF.read_text(encoding="utf-8")
        values = {
            "test-picture": f'"{picture}"',
            "read-status-code": f'"{status}"',
            "read-delay": "true" if delay_us else "false",
            "read-delay-duration": str(max(delay_us, 1000)),
        }
        for name, value in values.items():
            text = re.sub(rf"(?m)^{name} .*$", f"{name} {value}", text)
        (self.folder / "test.conf").write_text(text, encoding="utf-8")
