"""The pipeline: capture -> clean -> barcodes -> separate -> ocr -> route -> pdf.

``run_batch`` processes files (one batch); ``process_pages`` continues from pages
already captured (the scanner path, or a resumed batch). Cleanup and barcode reading
run in worker processes, OCR in parallel tesseract processes. Each document is
written completely (PDF, then sidecar, both via rename) or not at all, and logged in
the scan log; the batch result counts pages so that none can go missing unseen.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import cv2
import msgspec

from appliance.barcodes import READERS, read_barcodes
from appliance.capture import capture_files
from appliance.clean import clean_page
from appliance.documents import write_document
from appliance.errors import BadInput
from appliance.job import JobContext
from appliance.ocr import ocr_pages
from appliance.pages import BatchResult, Page, Rejected
from appliance.separate import separate
from appliance.settings import PipelineSettings


def run_batch(sources: Sequence[Path], job: JobContext) -> BatchResult:
    pages, rejected = capture_files(sources, job)
    return process_pages(pages, job, rejected=rejected)


def process_pages(
    pages: list[Page], job: JobContext, *, rejected: Sequence[Rejected] = ()
) -> BatchResult:
    try:
        pages = _clean_and_read(pages, job)
        documents, loose = separate(pages, job.settings)
        ocred = {
            p.number: p for p in ocr_pages([p for d in documents for p in d.pages], job)
        }
        results = []
        for count, document in enumerate(documents, start=1):
            document = msgspec.structs.replace(
                document, pages=[ocred[p.number] for p in document.pages]
            )
            results.append(write_document(document, job))
            job.progress("pdf", count, len(documents))
    finally:
        if not job.settings.keep_work:
            shutil.rmtree(job.work_dir, ignore_errors=True)
    in_documents = sum(len(d.pages) for d in documents)
    return BatchResult(
        batch_id=job.batch_id,
        documents=results,
        rejected=list(rejected),
        anomalies=[a for d in documents for a in d.anomalies] + loose,
        pages_captured=len(pages),
        pages_in_documents=in_documents,
        pages_dropped=len(pages) - in_documents,
    )


def _clean_and_read(pages: list[Page], job: JobContext) -> list[Page]:
    if len(pages) <= 1 or job.workers == 1:
        done = [clean_and_read(p, job.settings, job.work_dir) for p in pages]
        job.progress("clean", len(done), len(pages))
        return done
    with ProcessPoolExecutor(max_workers=job.workers) as pool:
        futures = [
            pool.submit(clean_and_read, p, job.settings, job.work_dir) for p in pages
        ]
        out = []
        for count, future in enumerate(futures, start=1):
            out.append(future.result())
            job.progress("clean", count, len(pages))
    return out


def clean_and_read(page: Page, settings: PipelineSettings, work_dir: Path) -> Page:
    """Cleanup and barcodes of one page, in a worker process."""
    page = clean_page(page, settings, work_dir)
    grey = cv2.imread(page.archive_path, cv2.IMREAD_GRAYSCALE)
    if grey is None:
        raise BadInput(f"Seite {page.number}: das bereinigte Bild ist unlesbar.")
    readers = [READERS[name]() for name in ("zxing-cpp", "pyzbar")]
    codes, misses = read_barcodes(grey, page.number, readers, dpi=page.dpi)
    blank = page.blank and not codes and not misses  # a code alone is content
    return msgspec.structs.replace(
        page, barcodes=codes, barcode_misses=misses, blank=blank
    )
