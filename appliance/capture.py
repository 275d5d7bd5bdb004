"""Capture stage: turn input files (images, multi-page TIFF, PDF) into raw pages.

Every raw page is hashed (SHA-256) the moment it is captured and the hash goes into
the scan log. A file that cannot be read completely contributes no page at all and
becomes a ``Rejected`` entry with a German reason; the rest of the batch goes on.
The scanner path (``appliance.scanner``) and the watched folder (``appliance.watch``)
end in the same ``record_page``.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import pikepdf

from appliance._exec import ghostscript
from appliance.errors import ApplianceError, BadInput
from appliance.images import dpi_of, frame_count, frames
from appliance.integrity import sha256_file
from appliance.job import JobContext
from appliance.pages import Page, Rejected

PDF_SUFFIXES = {".pdf"}


def capture_files(
    sources: Sequence[Path], job: JobContext
) -> tuple[list[Page], list[Rejected]]:
    pages: list[Page] = []
    rejected: list[Rejected] = []
    for source in sources:
        try:
            pages.extend(_capture_one(source, job, first=len(pages) + 1))
        except ApplianceError as exc:
            rejected.append(
                Rejected(source=str(source), code=exc.code, message=exc.message)
            )
            job.scan_log.append(
                "input_rejected",
                job.batch_id,
                {"source": str(source), "reason": exc.message},
            )
        job.progress("capture", len(pages), len(pages))
    return pages, rejected


def _capture_one(source: Path, job: JobContext, *, first: int) -> list[Page]:
    """All pages of one file, or none: files of a partial read are removed."""
    written: list[Path] = []
    try:
        staged = list(_stage(source, job, first, written))
    except BaseException:
        for path in written:
            path.unlink(missing_ok=True)
        raise
    return [record_page(job, number=n, source=s, raw=p, dpi=d) for n, s, p, d in staged]


def _stage(
    source: Path, job: JobContext, first: int, written: list[Path]
) -> Iterator[tuple[int, str, Path, int]]:
    if not source.is_file():
        raise BadInput(f"„{source}“ gibt es nicht oder ist keine Datei.")
    if source.stat().st_size == 0:
        raise BadInput(f"„{source.name}“ ist leer (0 Byte).")
    default_dpi = job.settings.profile.resolution
    if source.suffix.lower() in PDF_SUFFIXES:
        images = _render_pdf(source, job, first, written)
    else:
        images = [source]
    single = len(images) == 1 and images[0] is source and frame_count(source) == 1
    number = first
    for image_file in images:
        for frame in frames(image_file, max_megapixels=job.settings.max_megapixels):
            dpi = dpi_of(frame, default_dpi)
            if single:
                raw = job.stage_path(
                    number, "raw", source.suffix.lower().lstrip(".") or "img"
                )
                shutil.copyfile(source, raw)
            else:
                raw = job.stage_path(number, "raw", "png")
                frame.save(raw, dpi=(dpi, dpi), compress_level=1)
            written.append(raw)
            label = source.name if single else f"{source.name}#{number - first + 1}"
            yield number, label, raw, dpi
            number += 1


def _render_pdf(
    source: Path, job: JobContext, first: int, written: list[Path]
) -> list[Path]:
    count = check_pdf(source)
    pattern = job.work_dir / f"pdf{first:04d}-%04d.png"
    dpi = job.settings.profile.resolution
    colour = job.settings.profile.mode == "color"
    try:
        ghostscript.render(
            source, pattern, dpi=dpi, colour=colour, timeout=60 + 10 * count
        )
    finally:
        written.extend(sorted(job.work_dir.glob(f"pdf{first:04d}-*.png")))
    rendered = sorted(job.work_dir.glob(f"pdf{first:04d}-*.png"))
    if len(rendered) != count:
        raise BadInput(
            f"„{source.name}“: nur {len(rendered)} von {count} Seiten lesbar."
        )
    return rendered


def check_pdf(source: Path) -> int:
    """The number of pages of a readable, unencrypted PDF, or ``BadInput``."""
    try:
        with pikepdf.open(source) as pdf:
            count = len(pdf.pages)
    except pikepdf.PasswordError as exc:
        raise BadInput(
            f"„{source.name}“ ist verschlüsselt und kann nicht gelesen werden."
        ) from exc
    except pikepdf.PdfError as exc:
        raise BadInput(f"„{source.name}“ ist keine lesbare PDF-Datei.") from exc
    if count == 0:
        raise BadInput(f"„{source.name}“ enthält keine Seiten.")
    return count


def record_page(
    job: JobContext, *, number: int, source: str, raw: Path, dpi: int
) -> Page:
    """Hash a raw page at capture and write it to the scan log."""
    digest = sha256_file(raw)
    job.scan_log.append(
        "page_captured",
        job.batch_id,
        {"page": number, "source": source, "sha256": digest, "dpi": dpi},
    )
    return Page(
        number=number, source=source, raw_path=str(raw), raw_sha256=digest, dpi=dpi
    )
