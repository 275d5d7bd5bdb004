"""The pipeline: capture -> clean -> barcodes -> separate -> ocr -> route -> pdf.

``run_batch`` processes files (one batch); ``process_pages`` continues from pages
already captured (the scanner path, or a resumed batch). Cleanup and barcode reading
run in worker processes, OCR in parallel tesseract processes. Each document is
written completely (PDF, then sidecar, both via rename) or not at all, and logged in
the scan log; the batch result counts pages so that none can go missing unseen.
"""

from __future__ import annotations

import multiprocessing
import shutil
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path

import cv2
import msgspec

from appliance.barcodes import READERS, classify, read_barcodes
from appliance.capture import capture_files
from appliance.clean import clean_page
from appliance.documents import write_document
from appliance.errors import BadInput
from appliance.job import JobContext
from appliance.ocr import ocr_page
from appliance.pages import BatchResult, Page, Rejected
from appliance.separate import separate
from appliance.settings import PipelineSettings
from appliance.space import require_space

# Cleanup workers are forked from a small server process, never from the caller:
# the station runs batches in a thread of its web server, and forking a process
# with threads can copy a lock another thread holds (a worker then hangs).
_WORKERS = multiprocessing.get_context("forkserver")
_WORKERS.set_forkserver_preload(["appliance.pipeline"])


def run_batch(sources: Sequence[Path], job: JobContext) -> BatchResult:
    pages, rejected = capture_files(sources, job)
    return process_pages(pages, job, rejected=rejected)


def process_pages(
    pages: list[Page], job: JobContext, *, rejected: Sequence[Rejected] = ()
) -> BatchResult:
    """Clean, read, separate, OCR and write the pages of one batch.

    The work folder (with every raw page) is removed only after the whole batch was
    written; when anything fails (a full disk, a crash) it stays for a rerun.
    """
    pages = clean_read_and_ocr(pages, job)
    documents, loose = separate(pages, job.settings)
    results = []
    for count, document in enumerate(documents, start=1):
        results.append(write_document(document, job))
        job.progress("pdf", count, len(documents))
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


def clean_read_and_ocr(
    pages: list[Page],
    job: JobContext,
    on_clean: Callable[[Page], object] | None = None,
) -> list[Page]:
    """Cleanup and barcodes in worker processes; each page's OCR starts as soon as
    that page is clean, so the cores never wait for the slowest cleanup.
    ``on_clean`` hears each page as soon as it is clean (the station starts its
    preview then, while tesseract reads)."""
    if not pages:
        return []
    with (
        ProcessPoolExecutor(
            max_workers=min(job.workers, len(pages)), mp_context=_WORKERS
        ) as cleaners,
        ThreadPoolExecutor(max_workers=job.workers) as readers,
    ):
        cleaning = [
            cleaners.submit(clean_and_read, p, job.settings, job.work_dir)
            for p in pages
        ]
        cleaned: list[Page] = []
        reading: dict[int, Future[Page]] = {}
        for count, future in enumerate(cleaning, start=1):
            page = future.result()
            cleaned.append(page)
            if on_clean is not None:
                on_clean(page)
            job.progress("clean", count, len(pages))
            if needs_text(page, job.settings):
                reading[page.number] = readers.submit(ocr_page, page, job)
        done = []
        for page in cleaned:
            future_text = reading.get(page.number)
            done.append(page if future_text is None else future_text.result())
            if future_text is not None:
                job.progress("ocr", len(done), len(cleaned))
    return done


def needs_text(page: Page, settings: PipelineSettings) -> bool:
    """Whether the page goes into a document: blank pages and separator sheets
    that will be dropped need no OCR (nor a preview at the station)."""
    if page.blank:
        return False
    rules = settings.separation
    separator = any(
        classify(code, settings.barcodes) == "separator" for code in page.barcodes
    )
    return not (separator and rules.separator_sheets and not rules.keep_separator_pages)


def clean_and_read(page: Page, settings: PipelineSettings, work_dir: Path) -> Page:
    """Cleanup and barcodes of one page, in a worker process."""
    require_space(work_dir, settings.min_free_bytes)
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
