"""Route one separated document and write it: PDF/A with the signed Transfervermerk,
then the JSON sidecar, then a ``document_written`` entry in the scan log."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import msgspec

from appliance import pdf, sidecar, transfer
from appliance.eid import idcopy
from appliance.integrity import sha256_file
from appliance.job import JobContext
from appliance.model import RoutingInput
from appliance.pages import Document, DocumentResult

VERSION = "0.1.0"


def write_document(document: Document, job: JobContext) -> DocumentResult:
    text = "\n\n".join(page.text for page in document.pages if page.text)
    codes = [code for page in document.pages for code in page.barcodes]
    decision = job.router(
        RoutingInput(text=text, barcodes=codes, page_count=len(document.pages))
    )
    marks = idcopy.copy_anomalies(document.pages)
    decision = idcopy.mark_as_copy(
        decision, found=any(m.kind == "id_copy" for m in marks)
    )
    document = msgspec.structs.replace(
        document, anomalies=[*document.anomalies, *marks]
    )
    document_id = uuid.uuid4().hex
    base = job.out_dir / f"{job.label}-{document.index:03d}"
    pdf_path, json_path = base.with_suffix(".pdf"), base.with_suffix(".json")
    with pdf.image_pdf(document) as built:
        digests = [pdf.page_digest(page) for page in built.pages]
        note = _note(document, document_id, digests, job)
        pdf.finish_pdfa(built, note, title=base.name, path=pdf_path)
    digest = sha256_file(pdf_path)
    side = sidecar.build(
        document,
        document_id=document_id,
        batch_id=job.batch_id,
        appliance_id=job.settings.appliance_id,
        pdf_path=pdf_path,
        pdf_sha256=digest,
        routing=decision,
        quality=note.quality_check,
    )
    sidecar.write(side, json_path)
    job.scan_log.append(
        "document_written",
        job.batch_id,
        {
            "document_id": document_id,
            "file": pdf_path.name,
            "sha256": digest,
            "pages": [p.number for p in document.pages],
        },
    )
    return DocumentResult(
        document_id=document_id,
        index=document.index,
        pdf_path=str(pdf_path),
        sidecar_path=str(json_path),
        sha256=digest,
        page_numbers=[p.number for p in document.pages],
        decision=decision,
        text=text,
    )


def _note(
    document: Document, document_id: str, digests: list[str], job: JobContext
) -> transfer.Transfervermerk:
    records = [
        transfer.PageRecord(
            number=i,
            batch_page=page.number,
            source=page.source,
            raw_sha256=page.raw_sha256,
            content_sha256=digest,
            dpi=page.dpi,
            skew_degrees=page.skew_degrees,
            rotated_degrees=page.rotated_degrees,
            cropped=page.cropped,
            ocr_confidence=page.confidence,
        )
        for i, (page, digest) in enumerate(
            zip(document.pages, digests, strict=True), start=1
        )
    ]
    note = transfer.Transfervermerk(
        document_id=document_id,
        batch_id=job.batch_id,
        appliance_id=job.settings.appliance_id,
        operator=job.settings.operator,
        captured_at=job.started_at.isoformat(timespec="seconds"),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        profile=job.settings.profile,
        software={"appliance": VERSION, "tesseract": job.tesseract_version},
        pages=records,
        anomalies=document.anomalies,
        quality_check=transfer.quality_check(
            records, document.anomalies, job.settings.low_confidence
        ),
        scan_log_head=job.scan_log.head(),
    )
    return transfer.sign_note(note, job.key)
