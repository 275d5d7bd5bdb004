"""Capture from a SANE scanner through ``scanimage`` (flatbed, ADF, duplex where the
device offers it), with the scan profile checked against what the device can do.

A batch is resumable: ``capture_scanner`` returns the pages it got and why the
scanner stopped (feeder empty, paper jam, cover open, device gone); the operator
fixes the cause and calls it again with ``start`` after the last page. A sheet that
was being fed when the scanner stopped is never half-written.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import msgspec

from appliance._exec import scanimage
from appliance.capture import record_page
from appliance.errors import FeederEmpty, ScannerError, WrongProfile
from appliance.job import JobContext
from appliance.pages import Page
from appliance.settings import ScanProfile

PAPER_MM = {"A4": (210, 297), "A5": (148, 210), "letter": (216, 279)}


class ScanOutcome(msgspec.Struct, kw_only=True, frozen=True):
    pages: list[Page]
    stopped: str | None = None  # error code: feeder-empty, paper-jam, cover-open, ...
    message: str = ""  # German, for the operator

    @property
    def resumable(self) -> bool:
        return self.stopped in ("paper-jam", "cover-open", "feeder-empty")


def scanimage_options(
    profile: ScanProfile, device_options: dict[str, str]
) -> list[str]:
    """The ``scanimage`` arguments for a profile, or ``WrongProfile`` in German."""
    modes = device_options.get("mode", "").split("|")
    _check_resolution(profile.resolution, device_options.get("resolution", ""))
    options = [f"--resolution={profile.resolution}"]
    options += _mode(profile, modes, device_options.get("depth", "").split("|"))
    options += _source(profile, device_options.get("source", "").split("|"))
    if profile.paper in PAPER_MM:
        width, height = PAPER_MM[profile.paper]
        max_x, max_y = (float(device_options.get(a, "0")) for a in ("x", "y"))
        if max_x and (width > max_x or height > max_y):
            raise WrongProfile(
                f"Das Papierformat {profile.paper} ({width}×{height} mm) ist größer als "
                f"die Scanfläche des Geräts ({max_x:.0f}×{max_y:.0f} mm)."
            )
        options += ["-x", str(width), "-y", str(height)] if max_x else []
    return options


def _check_resolution(wanted: int, allowed: str) -> None:
    numbers = [int(n) for n in re.findall(r"\d+", allowed)]
    if ".." in allowed and len(numbers) >= 2:
        fits = numbers[0] <= wanted <= numbers[1]
    else:
        fits = not numbers or wanted in numbers
    if not fits:
        raise WrongProfile(
            f"Der Scanner kann nicht mit {wanted} dpi scannen (möglich: {allowed})."
        )


def _mode(profile: ScanProfile, modes: list[str], depths: list[str]) -> list[str]:
    wanted = {"color": "Color", "gray": "Gray", "lineart": "Lineart"}[profile.mode]
    if wanted in modes:
        return [f"--mode={wanted}"]
    if profile.mode == "lineart" and "Gray" in modes and "1" in depths:
        return ["--mode=Gray", "--depth=1"]
    raise WrongProfile(
        f"Der Scanner kennt den Farbmodus „{profile.mode}“ nicht "
        f"(möglich: {', '.join(m for m in modes if m) or 'keine Angabe'})."
    )


def _source(profile: ScanProfile, sources: list[str]) -> list[str]:
    if profile.source == "flatbed":
        found = [s for s in sources if "flatbed" in s.lower()]
    elif profile.source == "adf-duplex":
        found = [s for s in sources if "duplex" in s.lower()]
    else:
        found = [
            s
            for s in sources
            if ("adf" in s.lower() or "feeder" in s.lower())
            and "duplex" not in s.lower()
        ]
    if not found:
        names = {
            "flatbed": "Flachbett",
            "adf": "Einzug",
            "adf-duplex": "beidseitigen Einzug",
        }
        raise WrongProfile(f"Der Scanner hat keinen {names[profile.source]}.")
    return [f"--source={found[0]}"]


def capture_scanner(
    job: JobContext,
    device: str,
    *,
    start: int = 1,
    count: int | None = None,
    extra_options: Sequence[str] = (),
) -> ScanOutcome:
    """Scan sheets into the job's work folder as pages ``start``, ``start + 1``, ...

    A flatbed holds one sheet, so without ``count`` it scans one page (scanimage
    would otherwise scan the same glass again and again until its time runs out).
    Progress goes to the job as stage ``capture`` with the pages of the batch so
    far and no total (a feeder does not say how many sheets it holds).
    ``extra_options`` are passed to scanimage as they are (device-specific settings).
    """
    options = scanimage_options(job.settings.profile, scanimage.device_options(device))
    options += extra_options
    if count is None and job.settings.profile.source == "flatbed":
        count = 1
    folder = job.work_dir / "scanner"
    folder.mkdir(parents=True, exist_ok=True)
    timeout = 120.0 + 60.0 * (count or 100)
    job.progress("capture", start - 1, 0)
    try:
        files, stop = scanimage.scan_batch(
            device,
            folder,
            start=start,
            count=count,
            options=options,
            timeout=timeout,
            on_page=lambda done: job.progress("capture", start - 1 + done, 0),
        )
    except ScannerError as exc:
        files, stop = [], exc
    pages = _record(job, device, files)
    if stop is None or (isinstance(stop, FeederEmpty) and pages):
        return ScanOutcome(pages=pages)
    job.scan_log.append(
        "scanner_stop",
        job.batch_id,
        {"device": device, "code": stop.code, "after_page": start + len(pages) - 1},
    )
    return ScanOutcome(pages=pages, stopped=stop.code, message=stop.message)


def adopt_leftovers(job: JobContext, device: str, start: int) -> list[Page]:
    """Pages scanimage finished from ``start`` on that were never recorded, because
    the station stopped while scanimage went on (it is not killed with it): they
    are whole pages (scanimage renames a page to its final name only when it is
    complete) and are recorded now, so the sheets they show are not lost."""
    return _record(job, device, scanimage.written(job.work_dir / "scanner", start))


def _record(job: JobContext, device: str, files: list[Path]) -> list[Page]:
    """Move scanimage's files into the work folder, hash and log them as pages."""
    pages = []
    for raw in files:
        number = int(raw.stem.split("-")[1])
        target = job.stage_path(number, "raw", "pnm")
        raw.replace(target)
        pages.append(
            record_page(
                job,
                number=number,
                source=device,
                raw=target,
                dpi=job.settings.profile.resolution,
            )
        )
        job.progress("capture", number, 0)
    return pages
