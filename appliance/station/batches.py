"""Batches for the operator: capture from the scanner or the input folder, run the
pipeline stage by stage with live progress, keep each document's pages so a person
can still change it, and commit documents to the outbox.

One batch runs at a time, in a background thread; progress goes to the station's
database after every page, which the web page polls. The work folder of a batch is
kept until all its documents are committed or deleted, because edits rebuild a
document's PDF/A from its cleaned pages and text layers.
"""

from __future__ import annotations

import functools
import logging
import shutil
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import msgspec
from PIL import Image

from appliance.capture import capture_files
from appliance.documents import write_document
from appliance.eid.submission import IdentifiedSubmission
from appliance.eid.submission import load as load_submission
from appliance.errors import ApplianceError
from appliance.integrity import load_or_create_key
from appliance.job import JobContext, Router, no_rules
from appliance.outbox import DocumentMetadata, Outbox
from appliance.outbox.schemas import Identification
from appliance.pages import Document, Page
from appliance.pipeline import clean_read_and_ocr, needs_text
from appliance.routing import RoutingRules, load_rules, route
from appliance.scanlog import ScanLog
from appliance.separate import separate
from appliance.settings import ScanProfile
from appliance.station import scanning
from appliance.station.settings import StationSettings
from appliance.station.store import DocState, StationDocument, StationStore

log = logging.getLogger(__name__)

THUMB_WIDTH = 240

Ending = tuple[str, str, int]  # state ("done" or "paused"), message, pages captured


class StationError(ApplianceError):
    """An operator action that cannot be done, with the German reason."""

    code = "station"


class Station:
    """The station's state and its batch runner; shared by all web requests."""

    def __init__(self, settings: StationSettings) -> None:
        self.settings = settings
        self.data = Path(settings.data_dir)
        self.store = StationStore(self.data / "station.sqlite3")
        self.store.fail_interrupted()
        self.outbox = Outbox(
            Path(settings.outbox.folder), reserve_bytes=settings.outbox.reserve_bytes
        )
        self._reconcile_commits()
        state = Path(settings.state_dir)
        self.key = load_or_create_key(state / "appliance-key.pem")
        self.scan_log = ScanLog(state / "scan-log.jsonl")
        self.edit_lock = threading.Lock()
        self._batch_lock = threading.Lock()
        self.threads: list[threading.Thread] = []
        self.delivery_problem = ""  # shown on the outbox page when delivery is off

    # Rules --------------------------------------------------------------------------

    @property
    def rules_path(self) -> Path:
        return Path(self.settings.rules_file)

    def rules(self) -> RoutingRules:
        return load_rules(self.rules_path)

    def router(self) -> Router:
        try:
            rules = self.rules()
        except ApplianceError as exc:
            log.warning("routing rules unusable: %s", exc.message)
            return no_rules
        return functools.partial(route, rules=rules)

    # Jobs ---------------------------------------------------------------------------

    def job(self, batch_id: str, profile: ScanProfile, label: str = "") -> JobContext:
        """The pipeline's context for a batch; its operator is the one who started it."""
        batch = self.store.batch(batch_id)
        pipeline = msgspec.structs.replace(
            self.settings.pipeline,
            profile=profile,
            operator=(batch.operator if batch else "") or self.settings.operator,
            keep_work=True,
        )
        return JobContext(
            settings=pipeline,
            work_dir=self.data / "work" / batch_id,
            out_dir=self.data / "documents" / batch_id,
            key=self.key,
            scan_log=self.scan_log,
            router=self.router(),
            progress=functools.partial(self._progress, batch_id),
            batch_id=batch_id,
            label=label or batch_id,
        )

    def _progress(self, batch_id: str, stage: str, done: int, total: int) -> None:
        self.store.progress(batch_id, stage, done, total)

    def profile_of(self, batch_id: str) -> ScanProfile:
        batch = self.store.batch(batch_id)
        for profile in self.settings.profiles:
            if batch is not None and profile.name == batch.profile:
                return profile
        return self.settings.profiles[0]

    # Batches ------------------------------------------------------------------------

    def start_batch(self, profile_name: str, source: str, operator: str = "") -> str:
        """Start a batch in the background; ``operator`` is the logged-in person."""
        profile = self.settings.profile(profile_name)
        if source == "scanner" and not self.settings.scanner:
            raise StationError("An dieser Station ist kein Scanner eingerichtet.")
        self._claim_runner()
        batch_id = f"{uuid.uuid4().hex[:12]}"
        operator = operator or self.settings.operator
        self.store.add_batch(batch_id, profile.name, source, operator)
        self.scan_log.append(
            "batch_started",
            batch_id,
            {"operator": operator, "profile": profile.name, "source": source},
        )
        if source == "scanner":
            self._spawn(
                batch_id, functools.partial(scanning.scan, self, batch_id, profile)
            )
        else:
            self._spawn(batch_id, functools.partial(self._folder, batch_id, profile))
        return batch_id

    def continue_batch(self, batch_id: str, operator: str, *, finish: bool) -> None:
        """A paused scanner batch: scan on, or (``finish``) process what it has."""
        self._claim_runner()
        if not self.store.claim_paused(batch_id):
            self._batch_lock.release()
            raise StationError("Dieser Stapel wartet nicht auf eine Fortsetzung.")
        kind = "batch_closed" if finish else "batch_resumed"
        self.scan_log.append(kind, batch_id, {"operator": operator})
        work = scanning.finish if finish else scanning.scan
        profile = self.profile_of(batch_id)
        self._spawn(batch_id, functools.partial(work, self, batch_id, profile))

    def _claim_runner(self) -> None:
        if not self._batch_lock.acquire(blocking=False):
            raise StationError("Es läuft bereits ein Stapel. Bitte warten.")

    def _spawn(self, batch_id: str, work: Callable[[], Ending]) -> None:
        thread = threading.Thread(target=self._run, args=(batch_id, work), daemon=True)
        self.threads.append(thread)
        thread.start()

    def _run(self, batch_id: str, work: Callable[[], Ending]) -> None:
        """Run ``work`` and record how it ended before the next batch may start
        (so "Weiter scannen" never finds its batch still marked running)."""
        try:
            state, message, pages = work()
        except ApplianceError as exc:
            log.warning("batch %s stopped: %s", batch_id, exc.message)
            message, pages, state = f"Stapel abgebrochen: {exc.message}", 0, "failed"
        except Exception as exc:
            # The batch thread must record every failure for the operator; the
            # captured pages stay in the work folder.
            log.exception("batch %s failed", batch_id)
            message, pages, state = f"Stapel abgebrochen: {exc}", 0, "failed"
        try:
            if state == "paused":
                self.store.pause_batch(batch_id, message=message, pages=pages)
            else:
                self.store.finish_batch(
                    batch_id, state=state, message=message, pages=pages
                )
        finally:
            self._batch_lock.release()
        self.release_work(batch_id)

    def release_work(self, batch_id: str) -> None:
        """Remove a finished batch's work folder (several MiB per page) once none
        of its documents can change any more: all committed or deleted."""
        batch = self.store.batch(batch_id)
        if batch is None or batch.state != "done":
            return
        if self.store.documents(batch_id=batch_id, state=DocState.OPEN):
            return
        shutil.rmtree(self.data / "work" / batch_id, ignore_errors=True)

    def _folder(self, batch_id: str, profile: ScanProfile) -> Ending:
        job = self.job(batch_id, profile)
        inputs = self._inputs()
        if not inputs:
            raise StationError(
                f"Im Eingangsordner {self.settings.input_folder} liegen keine Dateien."
            )
        pages, rejected = capture_files(inputs, job)
        summary = self.process(job, pages)
        self._set_aside(batch_id, inputs)
        notes = [f"Abgelehnt: {Path(r.source).name}: {r.message}" for r in rejected]
        return "done", " ".join([summary, *notes]), len(pages)

    def process(self, job: JobContext, pages: list[Page]) -> str:
        """Captured pages to documents of the batch; the summary for the operator.

        Cleanup and OCR overlap as in ``appliance.pipeline`` (a page is read as
        soon as it is clean) and each page's preview is drawn meanwhile, so a
        batch at the station is as fast as the pipeline alone; the documents are
        then written one by one."""
        with ThreadPoolExecutor(max_workers=1) as previews:
            drawn: list[Future[None]] = []

            def preview(page: Page) -> None:
                if needs_text(page, job.settings):  # it goes into a document
                    drawn.append(previews.submit(self.thumbnails, [page]))

            read = clean_read_and_ocr(pages, job, on_clean=preview)
            for done in drawn:
                done.result()
        documents, loose = separate(read, job.settings)
        if documents and loose:  # a blank last sheet belongs to the last document
            last = documents[-1]
            documents[-1] = msgspec.structs.replace(
                last, anomalies=[*last.anomalies, *loose]
            )
        for count, document in enumerate(documents, start=1):
            self.write(document, job, position=count * 10)
            job.progress("pdf", count, len(documents))
        self._auto_commit(job.batch_id)
        notes = [a for d in documents for a in d.anomalies] + (
            [] if documents else loose
        )
        blank = sum(a.kind == "blank_page_dropped" for a in notes)
        summary = f"{len(pages)} Seiten erfasst, {len(documents)} Dokumente."
        return summary + (f" {blank} leere Seiten entfernt." if blank else "")

    def _inputs(self) -> list[Path]:
        folder = Path(self.settings.input_folder)
        if not folder.is_dir():
            return []
        return sorted(p for p in folder.iterdir() if p.is_file())

    def _set_aside(self, batch_id: str, files: list[Path]) -> None:
        """Read files leave the input folder only once their documents exist."""
        done = self.data / "eingelesen" / batch_id
        done.mkdir(parents=True, exist_ok=True)
        for path in files:
            shutil.move(path, done / path.name)

    def write(self, document: Document, job: JobContext, *, position: int) -> int:
        result = write_document(document, job)
        self.thumbnails(document.pages)
        return self.store.add_document(
            batch_id=job.batch_id,
            position=position,
            decision=result.decision,
            text=result.text,
            pdf_path=result.pdf_path,
            sha256=result.sha256,
            pages=document.pages,
        )

    def thumbnails(self, pages: list[Page], *, refresh: bool = False) -> None:
        """Small previews named by the capture hash; ``refresh`` after redaction."""
        folder = self.data / "thumbs"
        folder.mkdir(parents=True, exist_ok=True)
        for page in pages:
            target = folder / f"{page.raw_sha256}.png"
            if target.exists() and not refresh:
                continue
            with Image.open(page.archive_path or page.raw_path) as image:
                image.thumbnail((THUMB_WIDTH, THUMB_WIDTH * 2))
                image.convert("L").save(target, format="PNG")

    def _auto_commit(self, batch_id: str) -> None:
        """Commit the confident documents, except pages an interrupted batch
        already committed from the same input files (never sent twice)."""
        if not self.settings.auto_commit:
            return
        sent = self.store.pages_sent_from_interrupted()
        for document in self.store.documents(batch_id=batch_id, state=DocState.OPEN):
            earlier = sorted(
                {sent[p.raw_sha256] for p in document.pages if p.raw_sha256 in sent}
            )
            if earlier and all(p.raw_sha256 in sent for p in document.pages):
                note = f"Schon aus Stapel {', '.join(earlier)} im Postausgang."
                self.store.set_state(document.id, DocState.DELETED, note)
            elif earlier:
                note = f"Seiten schon aus Stapel {', '.join(earlier)} gesendet: prüfen."
                self.store.set_state(document.id, DocState.OPEN, note)
            elif not document.decision.needs_review:
                self.commit(document, approved_by="")

    def _reconcile_commits(self) -> None:
        """A crash between the outbox commit and the station's own record leaves
        an open document that is already in the outbox: record it as committed."""
        for document in self.store.documents(state=DocState.OPEN):
            if self.outbox.get(document.sha256) is not None:
                self.store.set_state(document.id, DocState.COMMITTED, "Im Postausgang.")

    def identification(self, batch_id: str) -> IdentifiedSubmission | None:
        """The citizen identified for this batch at the eID desk, if any."""
        return load_submission(self.data / "documents" / batch_id)

    def _identification(self, batch_id: str) -> Identification | None:
        """What travels with each document of the batch: level and kept attributes."""
        found = self.identification(batch_id)
        if found is None:
            return None
        data = msgspec.to_builtins(found)
        del data["id"], data["batch_id"], data["operator"]
        return msgspec.convert({**data, "submission_id": found.id}, Identification)

    # Outbox -------------------------------------------------------------------------

    def commit(self, document: StationDocument, *, approved_by: str) -> None:
        """Into the outbox; only when this returns is the document "fertig"."""
        decision = document.decision
        office = document.chosen_office
        rules_office = self._office(office)
        metadata = DocumentMetadata(
            appliance_id=self.settings.pipeline.appliance_id,
            filename=Path(document.pdf_path).name,
            page_count=len(document.pages),
            office=office,
            route=rules_office[0] if rules_office else decision.route,
            leika_key=(rules_office[1] if rules_office else None) or decision.leika_key,
            confidence=decision.confidence,
            method="manual" if approved_by else decision.method,
            keep_original=decision.keep_original,
            id_copy=decision.id_copy,
            batch_id=document.batch_id,
            approved_by=approved_by,
            identification=self._identification(document.batch_id),
        )
        self.outbox.commit(Path(document.pdf_path), metadata)
        self.store.set_state(document.id, DocState.COMMITTED, "Im Postausgang.")
        self.release_work(document.batch_id)

    def _office(self, office: str | None) -> tuple[str, str | None] | None:
        if office is None:
            return None
        try:
            found = self.rules().office(office)
        except ApplianceError:
            return None
        return (found.route, found.leika_key) if found else None

    def join(self, timeout: float = 30.0) -> None:
        for thread in self.threads:
            thread.join(timeout)
