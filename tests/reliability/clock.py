"""A wall clock that jumps, for real processes: libfaketime.

The process starts with ``LD_PRELOAD`` of Debian's ``libfaketime`` and reads its
offset from a file the test rewrites (re-read at most a second later), so its
wall clock (``time.time``, ``datetime.now``) jumps while its monotonic clock does
not, as with an NTP step or a wrong real-time clock. Nothing in the process is
patched. Without the library (not installed) the tests that need it skip.
"""

from __future__ import annotations

from pathlib import Path

import pytest

LIBRARY = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")


class JumpingClock:
    def __init__(self, offset_file: Path) -> None:
        self.offset_file = offset_file
        offset_file.write_text("+0\n")

    def env(self) -> dict[str, str]:
        if not LIBRARY.exists():
            return {}
        return {
            "LD_PRELOAD": str(LIBRARY),
            "FAKETIME_TIMESTAMP_FILE": str(self.offset_file),
            "FAKETIME_CACHE_DURATION": "1",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        }

    def jump(self, offset: str) -> None:
        """Set the offset from the real time, e.g. ``+2h`` or ``+0``."""
        self.offset_file.write_text(f"{offset}\n")


def require_faketime() -> None:
    if not LIBRARY.exists():
        pytest.skip("libfaketime is not installed (./scripts/bootstrap installs it)")
