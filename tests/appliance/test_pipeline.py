"""The whole pipeline on a realistic batch with the real tesseract, zxing-cpp, zbar and
Ghostscript: documents split, routed, archived as PDF/A-3b with a signed
Transfervermerk, and every page accounted for."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pikepdf
import pytest

from appliance import transfer
from appliance.integrity import load_or_create_key
from appliance.job import JobContext
from appliance.model import RoutingDecision, RoutingInput
from appliance.pages import BatchResult
from appliance.pipeline import run_batch
from appliance.scanlog import ScanLog, verify_chain
from appliance.settings import PipelineSettings, ScanProfile
from appliance.verify import verify_pdf
from tests.appliance.letters import (
    ARCHIVE_SERIAL,
    FILE_REFERENCE,
    blank_file,
    letter_file,
    separator_file,
)


class RecordingRouter:
    """A real (tiny) router: file reference barcode -> Bauamt; it keeps what it saw."""

    def __init__(self) -> None:
        self.seen: list[RoutingInput] = []

    def __call__(self, doc: RoutingInput, /) -> RoutingDecision:
        self.seen.append(doc)
        if any(code.text.startswith("AZ-") for code in doc.barcodes):
            return RoutingDecision(
                office="Bauamt",
                confidence=0.99,
                method="barcode",
                needs_review=False,
                reason="Aktenzeichen",
            )
        return RoutingDecision(office=None, reason="keine Regel")


class Batch(msgspec.Struct):
    result: BatchResult
    router: RecordingRouter
    job: JobContext
    inputs: list[Path]


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Batch:
    folder = tmp_path_factory.mktemp("pipeline")
    inputs = [
        letter_file(
            folder, 1, skew=2.0, border_mm=5, codes=[FILE_REFERENCE, ARCHIVE_SERIAL]
        ),
        blank_file(folder, 2),
        letter_file(folder, 3, skew=-1.0),
        folder / "scan-truncated.png",
        separator_file(folder, 4),
        letter_file(folder, 5, skew=0.5),
    ]
    inputs[3].write_bytes(inputs[0].read_bytes()[:5000])
    router = RecordingRouter()
    job = JobContext(
        settings=PipelineSettings(
            operator="Frau Schulz", profile=ScanProfile(resolution=150)
        ),
        work_dir=folder / "work",
        out_dir=folder / "out",
        key=load_or_create_key(folder / "key.pem"),
        scan_log=ScanLog(folder / "scan-log.jsonl"),
        router=router,
        label="posteingang",
    )
    return Batch(result=run_batch(inputs, job), router=router, job=job, inputs=inputs)


@pytest.mark.slow
def test_batch_is_split_and_every_page_is_accounted_for(batch: Batch) -> None:
    """GIVEN letter(+blank backside, +second page), a truncated file, a separator, a letter
    WHEN the batch runs
    THEN two documents result (pages 1+3, and 6), the blank page and the separator are
    dropped and recorded, the truncated file is rejected, and the counts add up."""
    result = batch.result
    assert [d.page_numbers for d in result.documents] == [[1, 3], [5]]
    assert result.pages_captured == 5
    assert result.pages_in_documents + result.pages_dropped == result.pages_captured
    assert result.pages_dropped == 2
    assert {(a.kind, a.page) for a in result.anomalies} >= {
        ("blank_page_dropped", 2),
        ("separator_dropped", 4),
    }
    assert [Path(r.source).name for r in result.rejected] == ["scan-truncated.png"]
    pdf_pages = sum(len(pikepdf.open(d.pdf_path).pages) for d in result.documents)
    assert pdf_pages == result.pages_in_documents
    assert not batch.job.work_dir.exists(), "the work folder is removed after the batch"
    assert sorted(p.name for p in batch.job.out_dir.iterdir()) == [
        "posteingang-001.json",
        "posteingang-001.pdf",
        "posteingang-002.json",
        "posteingang-002.pdf",
    ]


@pytest.mark.slow
def test_ocr_text_and_barcodes_reach_routing(batch: Batch) -> None:
    """GIVEN the router of the station engineer's contract
    WHEN the batch runs
    THEN it sees each document's OCR text and barcodes, and its decision is kept."""
    first, second = batch.router.seen
    assert "Musterstadt" in first.text
    assert first.page_count == 2
    assert {c.text for c in first.barcodes} == {
        FILE_REFERENCE.text,
        ARCHIVE_SERIAL.text,
    }
    assert batch.result.documents[0].decision.office == "Bauamt"
    assert second.barcodes == []
    assert batch.result.documents[1].decision.needs_review


@pytest.mark.slow
def test_documents_are_pdfa_with_text_layer_and_signed_note(batch: Batch) -> None:
    """GIVEN the written documents
    WHEN they are opened
    THEN each is marked PDF/A-3B with an sRGB output intent, has no Info dictionary,
    carries the Transfervermerk as XMP and as an attached file with AFRelationship,
    has a text layer, and `verify` finds nothing wrong."""
    for document in batch.result.documents:
        with pikepdf.open(document.pdf_path) as pdf:
            xmp = pdf.Root.Metadata.read_bytes().decode()
            assert "<pdfaid:part>3</pdfaid:part>" in xmp
            assert "<pdfaid:conformance>B</pdfaid:conformance>" in xmp
            assert "<tv:Operator>Frau Schulz</tv:Operator>" in xmp
            assert pdf.Root.OutputIntents[0].S == pikepdf.Name.GTS_PDFA1
            assert "/Info" not in pdf.trailer
            spec = pdf.Root.AF[0]
            assert spec.AFRelationship == pikepdf.Name.Data
            assert spec.F == transfer.NOTE_FILENAME
            note = transfer.decode(
                pdf.attachments[transfer.NOTE_FILENAME].get_file().read_bytes()
            )
            fonts = [
                str(f)
                for p in pdf.pages
                for x in p.Resources.XObject.values()
                if "/Resources" in x
                for f in x.Resources.get("/Font", {}).values()
            ]
            assert fonts, "every page has an invisible text layer with an embedded font"
        assert note.operator == "Frau Schulz"
        assert note.appliance_id == "scanstation-1"
        assert note.profile.resolution == 150
        assert [p.batch_page for p in note.pages] == document.page_numbers
        assert verify_pdf(Path(document.pdf_path)).problems == []


@pytest.mark.slow
def test_sidecar_and_scan_log(batch: Batch) -> None:
    """GIVEN the written documents
    WHEN their sidecars and the scan log are read
    THEN each sidecar has the PDF's hash, pages with raw hashes and text, barcodes and the
    routing decision; the scan log has one entry per page, rejection and document, and
    its chain is intact."""
    first = batch.result.documents[0]
    side = json.loads(Path(first.sidecar_path).read_text())
    assert side["pdf_sha256"] == first.sha256
    assert [p["batch_page"] for p in side["pages"]] == [1, 3]
    assert all(len(p["raw_sha256"]) == 64 and p["text"] for p in side["pages"])
    assert side["routing"]["office"] == "Bauamt"
    assert {b["text"] for b in side["barcodes"]} == {
        FILE_REFERENCE.text,
        ARCHIVE_SERIAL.text,
    }
    kinds = [e.kind for e in batch.job.scan_log.entries()]
    assert kinds.count("page_captured") == 5
    assert kinds.count("input_rejected") == 1
    assert kinds.count("document_written") == 2
    assert verify_chain(batch.job.scan_log.path) == []
