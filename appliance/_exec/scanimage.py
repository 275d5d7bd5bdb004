"""Wrapper for SANE's ``scanimage`` (Debian ``sane-utils``).

``scanimage --batch`` writes one PNM file per sheet side and stops with a SANE status
when the feeder runs empty, jams, or the cover opens; a page that was interrupted is
not left behind, so every file it wrote is a whole page.
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable
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
_SCANNED = re.compile(r"\(scanner status = (\d+)\)")
LINGER = 5.0  # seconds scanimage may take to exit after "Batch terminated"
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
    on_page: Callable[[int], None] | None = None,
) -> tuple[list[Path], ScannerError | None]:
    """Scan sheets into ``folder/raw-NNNN.pnm`` numbered from ``start``.

    Returns the pages written and why the scanner stopped (``None`` when ``count``
    pages were scanned). An empty feeder after at least one page is a normal end.
    While scanimage runs, ``on_page`` gets the number of pages finished so far, so
    a long feeder run shows progress before it ends.
    """
    args = [find("scanimage", PACKAGE), "-d", device, "--format=pnm"]
    args += [f"--batch={folder}/raw-%04d.pnm", f"--batch-start={start}"]
    if count is not None:
        args.append(f"--batch-count={count}")
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(  # noqa: S603 - fixed argument list
            [*args, *options], stdout=subprocess.DEVNULL, stderr=errors
        )
        code = _wait(
            process,
            timeout,
            lambda: _read(errors.fileno()),
            lambda: len(written(folder, start)),
            on_page,
        )
        stderr = _read(errors.fileno())
    return written(folder, start), _stop_reason(code, stderr)


def _read(fd: int) -> str:
    """What scanimage wrote so far, without moving the file offset it shares."""
    return os.pread(fd, os.fstat(fd).st_size, 0).decode("utf-8", "replace")


def written(folder: Path, start: int) -> list[Path]:
    """The whole pages in ``folder`` numbered from ``start`` (a page being written is
    ``raw-NNNN.pnm.part`` until scanimage renames it)."""
    pages = sorted(folder.glob("raw-*.pnm"))
    return [p for p in pages if int(p.stem.split("-")[1]) >= start]


def _wait(
    process: subprocess.Popen[bytes],
    timeout: float,
    stderr: Callable[[], str],
    finished: Callable[[], int],
    on_page: Callable[[int], None] | None,
) -> int:
    """scanimage's exit code; reports finished pages every quarter second.

    scanimage can hang in its clean-up after a device error although it has said
    "Batch terminated" and written every page; it is then killed after ``LINGER``
    seconds and its report on stderr stands (code -9).
    """
    deadline, reported, ended = time.monotonic() + timeout, 0, 0.0
    while True:
        try:
            return process.wait(timeout=0.25)
        except subprocess.TimeoutExpired:
            now = time.monotonic()
            ended = ended or (now if "Batch terminated" in stderr() else 0.0)
            if now > deadline or (ended and now - ended > LINGER):
                process.kill()
                process.wait()
                if not ended:
                    raise DeviceGone(
                        "Der Scanner antwortet nicht mehr (Zeitüberschreitung)."
                    ) from None
                return -9
        if on_page is not None and (done := finished()) > reported:
            reported = done
            on_page(done)


def _stop_reason(code: int, stderr: str) -> ScannerError | None:
    if "out of documents" in stderr:
        return FeederEmpty(_STATUS_TEXT[FeederEmpty])
    code = _status(code, stderr)
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


def _status(code: int, stderr: str) -> int:
    """The SANE status that ended the batch.

    The exit code alone is not enough: a SIGPIPE from the backend's reader during
    clean-up makes scanimage exit 0 after a jam, and a killed scanimage has none.
    Its line "Scanned page N. (scanner status = S)" says how the last page ended
    (5, end of file, is a whole page).
    """
    found = _SCANNED.findall(stderr)
    last = int(found[-1]) if found else 0
    if code <= 0 and last not in (0, 5):
        return last
    return 0 if code < 0 and "Batch terminated" in stderr else code
