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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import NamedTuple

import pikepdf

from appliance._exec import ghostscript
from appliance.errors import ApplianceError, BadInput
from appliance.images import dpi_of, frame_count, frames
from appliance.integrity import sha256_file
from appliance.job import JobContext
from appliance.pages import Page, Rejected
from appliance.space import require_space

PDF_SUFFIXES = {".pdf"}


class _Staged(NamedTuple):
    source: str
    path: Path  # in the work folder, under a temporary name
    dpi: int
    sha256: str


def capture_files(
    sources: Sequence[Path], job: JobContext
) -> tuple[list[Page], list[Rejected]]:
    """Read the files (several at once), then number their pages in input order."""
    require_space(job.work_dir, job.settings.min_free_bytes)
    with ThreadPoolExecutor(max_workers=job.workers) as pool:
        staged = list(
            pool.map(_stage_safely, range(len(sources)), sources, [job] * len(sources))
        )
    pages: list[Page] = []
    rejected: list[Rejected] = []
    for source, outcome in zip(sources, staged, strict=True):
        if isinstance(outcome, ApplianceError):
            rejected.append(
                Rejected(source=str(source), code=outcome.code, message=outcome.message)
            )
            job.scan_log.append(
                "input_rejected",
                job.batch_id,
                {"source": str(source), "reason": outcome.message},
            )
            continue
        for item in outcome:
            number = len(pages) + 1
            raw = job.stage_path(number, "raw", item.path.suffix.lstrip("."))
            item.path.replace(raw)
            pages.append(
                record_page(
                    job,
                    number=number,
                    source=item.source,
                    raw=raw,
                    dpi=item.dpi,
                    sha256=item.sha256,
                )
            )
            job.progress("capture", len(pages), len(pages))
    return pages, rejected


def _stage_safely(
    index: int, source: Path, job: JobContext
) -> list[_Staged] | ApplianceError:
    """All pages of one file, or none: files of a partial read are removed."""
    written: list[Path] = []
    try:
        return list(_stage(source, job, f"in{index:04d}", written))
    except ApplianceError as exc:
        _remove(written)
        return exc
    except BaseException:
        _remove(written)
        raise


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


def _stage(
    source: Path, job: JobContext, prefix: str, written: list[Path]
) -> Iterator[_Staged]:
    if not source.is_file():
        raise BadInput(f"„{source}“ gibt es nicht oder ist keine Datei.")
    if source.stat().st_size == 0:
        raise BadInput(f"„{source.name}“ ist leer (0 Byte).")
    default_dpi = job.settings.profile.resolution
    if source.suffix.lower() in PDF_SUFFIXES:
        images = _render_pdf(source, job, prefix, written)
    else:
        images = [source]
    single = len(images) == 1 and images[0] is source and frame_count(source) == 1
    count = 0
    for image_file in images:
        for frame in frames(image_file, max_megapixels=job.settings.max_megapixels):
            count += 1
            dpi = dpi_of(frame, default_dpi)
            if single:
                raw = (
                    job.work_dir
                    / f"{prefix}-{count:04d}.{source.suffix.lower().lstrip('.') or 'img'}"
                )
                shutil.copyfile(source, raw)
                label = source.name
            else:
                raw = job.work_dir / f"{prefix}-{count:04d}.png"
                frame.save(raw, dpi=(dpi, dpi), compress_level=1)
                label = f"{source.name}#{count}"
            written.append(raw)
            yield _Staged(source=label, path=raw, dpi=dpi, sha256=sha256_file(raw))


def _render_pdf(
    source: Path, job: JobContext, prefix: str, written: list[Path]
) -> list[Path]:
    count = check_pdf(source)
    pattern = job.work_dir / f"pdf-{prefix}-%04d.png"
    dpi = job.settings.profile.resolution
    colour = job.settings.profile.mode == "color"
    try:
        ghostscript.render(
            source, pattern, dpi=dpi, colour=colour, timeout=60 + 10 * count
        )
    finally:
        written.extend(sorted(job.work_dir.glob(f"pdf-{prefix}-*.png")))
    rendered = sorted(job.work_dir.glob(f"pdf-{prefix}-*.png"))
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
    job: JobContext,
    *,
    number: int,
    source: str,
    raw: Path,
    dpi: int,
    sha256: str | None = None,
) -> Page:
    """Hash a raw page at capture (unless hashed already) and log it."""
    require_space(raw.parent, job.settings.min_free_bytes)
    digest = sha256 or sha256_file(raw)
    job.scan_log.append(
        "page_captured",
        job.batch_id,
        {"page": number, "source": source, "sha256": digest, "dpi": dpi},
    )
    return Page(
        number=number, source=source, raw_path=str(raw), raw_sha256=digest, dpi=dpi
    )
