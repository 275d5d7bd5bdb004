"""One wrapper module per external program, each with a version probe that the
station's health check also uses (like OCRmyPDF's ``_exec``)."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence

from appliance.errors import ToolFailed, ToolMissing


def find(program: str, package: str) -> str:
    """The absolute path of ``program`` or a German hint which package to install."""
    path = shutil.which(program)
    if path is None:
        raise ToolMissing(
            f"Das Programm „{program}“ ist nicht installiert "
            f"(Debian-Paket {package}, siehe scripts/bootstrap)."
        )
    return path


def run(
    args: Sequence[str],
    *,
    timeout: float,
    env: dict[str, str] | None = None,
    what: str,
) -> subprocess.CompletedProcess[bytes]:
    """Run a program with a fixed argument list; failures become ``ToolFailed``."""
    try:
        done = subprocess.run(  # noqa: S603 - fixed argument lists, no shell
            list(args), capture_output=True, timeout=timeout, env=env, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ToolFailed(f"{what}: Zeitüberschreitung nach {timeout:.0f} s.") from exc
    if done.returncode != 0:
        tail = done.stderr.decode("utf-8", "replace").strip().splitlines()[-3:]
        raise ToolFailed(
            f"{what} ist fehlgeschlagen: {' '.join(tail) or done.returncode}"
        )
    return done
