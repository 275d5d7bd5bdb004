"""Wrapper for Ghostscript (Debian ``ghostscript``), used to render PDF input pages."""

from __future__ import annotations

import re
from pathlib import Path

from appliance._exec import find, run
from appliance.errors import ToolFailed

PACKAGE = "ghostscript"


def version() -> str:
    out = run([find("gs", PACKAGE), "--version"], timeout=20, what="Ghostscript")
    text = out.stdout.decode().strip()
    if not re.fullmatch(r"\d+\.\d+(\.\d+)?", text):
        raise ToolFailed(f"Ghostscript meldet keine Version: {text[:40]!r}")
    return text


def render(pdf: Path, pattern: Path, *, dpi: int, colour: bool, timeout: float) -> None:
    """Render every page of ``pdf`` to PNG files named by ``pattern`` (``%04d``)."""
    device = "png16m" if colour else "pnggray"
    args = [find("gs", PACKAGE), "-q", "-dNOPAUSE", "-dBATCH", "-dSAFER"]
    args += [f"-sDEVICE={device}", f"-r{dpi}", f"-sOutputFile={pattern}", str(pdf)]
    run(args, timeout=timeout, what=f"Ghostscript ({pdf.name})")
