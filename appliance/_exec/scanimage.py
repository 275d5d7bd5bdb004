"""Wrapper for SANE's ``scanimage`` (Debian ``sane-utils``).

``scanimage --batch`` writes one PNM file per sheet side and stops with a SANE status
when the feeder runs empty, jams, or the cover opens; a page that was interrupted is
not left behind, so every file it wrote is a whole page.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from appliance._exec import find
from appliance.errors import (
    CoverOpen,
    DeviceGone,
    FeederEmpty,
    PaperJam,
    ScannerError,
    ToolFailed,
    WrongProfile,
)

PACKAGE = "sane-utils"

# SANE status codes (sane/sane.h) as scanimage's exit code, and the messages it prints.
_STATUS: dict[int, type[ScannerError]] = {6: PaperJam, 7: FeederEmpty, 8: CoverOpen}
_STATUS_TEXT = {
    PaperJam: "Papierstau im Einzug. Bitte das Blatt entfernen und fortsetzen.",
    FeederEmpty: "Der Einzug ist leer. Bitte Papier einlegen.",
    CoverOpen: "Die Abdeckung des Scanners ist offen. Bitte schließen und fortsetzen.",
}


def version() -> str:
    """The installed sane-backends version; the health check calls this too."""
    done = subprocess.run(  # noqa: S603 - fixed argument list
        [find("scanimage", PACKAGE), "--version"],
        capture_output=True,
        timeout=20,
        check=False,
    )
    match = re.search(r"sane-backends\)\s+(\S+?);", done.stdout.decode())
    if match is None:
        raise ToolFailed("scanimage meldet keine Version.")
    return match.group(1)


def device_options(device: str) -> dict[str, str]:
    """The device's options and their allowed values, e.g. ``{"mode": "Gray|Color"}``."""
    done = subprocess.run(  # noqa: S603 - fixed argument list
        [find("scanimage", PACKAGE), "-d", device, "--all-options"],
        capture_output=True,
        timeout=30,
        check=False,
    )
    text = done.stdout.decode("utf-8", "replace")
    if "options specific to device" not in text.lower():
        raise DeviceGone(f"Der Scanner „{device}“ ist nicht erreichbar.")
    options = re.findall(r"^\s+--([\w-]+)(?:\[=\()?\s?([^\s\[]+)", text, re.MULTILINE)
    full = re.findall(r"^\s+--source (.+?) \[", text, re.MULTILINE)
    found = dict(options)
    if full:
        found["source"] = full[0]
    for axis, maximum in re.findall(
        r"^\s+-([xy]) [\d.]+\.\.([\d.]+)mm", text, re.MULTILINE
    ):
        found[axis] = maximum
    return found


def scan_batch(
    device: str,
    folder: Path,
    *,
    start: int,
    count: int | None,
    options: list[str],
    timeout: float,
) -> tuple[list[Path], ScannerError | None]:
    """Scan sheets into ``folder/raw-NNNN.pnm`` numbered from ``start``.

    Returns the pages written and why the scanner stopped (``None`` when ``count``
    pages were scanned). An empty feeder after at least one page is a normal end.
    """
    args = [find("scanimage", PACKAGE), "-d", device, "--format=pnm"]
    args += [f"--batch={folder}/raw-%04d.pnm", f"--batch-start={start}"]
    if count is not None:
        args.append(f"--batch-count={count}")
    try:
        done = subprocess.run(  # noqa: S603 - fixed argument list
            [*args, *options], capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise DeviceGone(
            "Der Scanner antwortet nicht mehr (Zeitüberschreitung)."
        ) from exc
    pages = sorted(folder.glob("raw-*.pnm"))
    pages = [p for p in pages if int(p.stem.split("-")[1]) >= start]
    return pages, _stop_reason(done.returncode, done.stderr.decode("utf-8", "replace"))


def _stop_reason(code: int, stderr: str) -> ScannerError | None:
    if "out of documents" in stderr:
        return FeederEmpty(_STATUS_TEXT[FeederEmpty])
    if code in _STATUS:
        kind = _STATUS[code]
        return kind(_STATUS_TEXT[kind])
    if code == 0:
        return None
    if "open of device" in stderr or code == 9:  # SANE_STATUS_IO_ERROR
        return DeviceGone("Der Scanner ist nicht mehr erreichbar. Bitte Kabel prüfen.")
    if code == 4:  # SANE_STATUS_INVAL
        raise WrongProfile(f"Der Scanner lehnt das Scanprofil ab: {stderr.strip()}")
    return ScannerError(f"Der Scanner meldet einen Fehler: {stderr.strip()[-200:]}")
