"""``verify`` on documents that were changed after capture: each kind of tampering is
named in German."""

from __future__ import annotations

import shutil
from pathlib import Path

import msgspec
import pikepdf
import pytest

from appliance import transfer
from appliance.integrity import load_or_create_key, public_key_text
from appliance.pipeline import run_batch
from appliance.verify import verify_pdf
from tests.appliance.conftest import MakeJob
from tests.appliance.letters import letter_file


@pytest.fixture(scope="module")
def original(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A two-page document written by the pipeline (OCR off the critical path: the
    pages are small)."""
    from appliance.job import JobContext
    from appliance.scanlog import ScanLog
    from appliance.settings import PipelineSettings, ScanProfile

    folder = tmp_path_factory.mktemp("verify")
    job = JobContext(
        settings=PipelineSettings(profile=ScanProfile(resolution=100)),
        work_dir=folder / "work",
        out_dir=folder / "out",
        key=load_or_create_key(folder / "key.pem"),
        scan_log=ScanLog(folder / "log.jsonl"),
    )
    files = [
        letter_file(folder, 1, dpi=100, lines=2),
        letter_file(folder, 2, dpi=100, lines=2),
    ]
    result = run_batch(files, job)
    return Path(result.documents[0].pdf_path)


def _copy(original: Path, tmp_path: Path) -> Path:
    return Path(shutil.copy(original, tmp_path / "copy.pdf"))


def test_untouched_document_verifies(original: Path) -> None:
    """GIVEN a document as written
    WHEN it is verified with and without the trusted key
    THEN there is no problem."""
    assert verify_pdf(original).ok
    key = load_or_create_key(original.parent.parent / "key.pem")
    assert verify_pdf(original, public_key_text(key)).ok


def test_changed_page_image_is_found(original: Path, tmp_path: Path) -> None:
    """GIVEN page 2's image bytes replaced by page 1's
    WHEN the copy is verified
    THEN verify says page 2 was changed after capture."""
    copy = _copy(original, tmp_path)
    with pikepdf.open(copy, allow_overwriting_input=True) as pdf:
        images = [
            next(x for x in p.Resources.XObject.values() if x.Subtype == "/Image")
            for p in pdf.pages
        ]
        images[1].write(images[0].read_raw_bytes(), filter=images[0].Filter)
        pdf.save(copy)
    report = verify_pdf(copy)
    assert report.problems == [
        "Seite 2 wurde nach der Erfassung verändert oder hinzugefügt."
    ]


def test_reordered_and_removed_pages_are_found(original: Path, tmp_path: Path) -> None:
    """GIVEN one copy with its pages swapped and one with page 2 removed
    WHEN they are verified
    THEN verify names the swap and the missing page."""
    swapped, removed = _copy(original, tmp_path), tmp_path / "removed.pdf"
    shutil.copy(original, removed)
    with pikepdf.open(swapped, allow_overwriting_input=True) as pdf:
        pdf.pages.reverse()
        pdf.save(swapped)
    with pikepdf.open(removed, allow_overwriting_input=True) as pdf:
        del pdf.pages[1]
        pdf.save(removed)
    assert verify_pdf(swapped).problems == [
        "Seite 1 stand bei der Erfassung an Stelle 2.",
        "Seite 2 stand bei der Erfassung an Stelle 1.",
    ]
    assert verify_pdf(removed).problems == [
        "Das Dokument hat 1 Seiten, erfasst wurden 2."
    ]


def test_edited_note_breaks_signature_and_xmp_link(
    original: Path, tmp_path: Path
) -> None:
    """GIVEN the attached Transfervermerk edited (another operator), signature kept
    WHEN the copy is verified
    THEN verify reports the invalid signature and the XMP mismatch."""
    copy = _copy(original, tmp_path)
    with pikepdf.open(copy, allow_overwriting_input=True) as pdf:
        stream = pdf.attachments[transfer.NOTE_FILENAME].obj.EF.F
        note = transfer.decode(stream.read_bytes())
        stream.write(
            transfer.encode(msgspec.structs.replace(note, operator="Jemand anderes"))
        )
        pdf.save(copy)
    problems = verify_pdf(copy).problems
    assert any("Signatur" in p for p in problems)
    assert any("XMP" in p for p in problems)


def test_foreign_key_and_missing_note(
    original: Path, tmp_path: Path, make_job: MakeJob
) -> None:
    """GIVEN a trusted key of another appliance, a copy without its note, and a non-PDF
    WHEN they are verified
    THEN verify names the foreign key, the missing note and the unreadable file."""
    other = public_key_text(load_or_create_key(tmp_path / "other.pem"))
    assert verify_pdf(original, other).problems == [
        "Das Dokument wurde nicht mit dem vertrauenswürdigen Schlüssel signiert."
    ]
    copy = _copy(original, tmp_path)
    with pikepdf.open(copy, allow_overwriting_input=True) as pdf:
        del pdf.attachments[transfer.NOTE_FILENAME]
        pdf.save(copy)
    assert verify_pdf(copy).problems == ["Der Transfervermerk fehlt."]
    text = tmp_path / "kein.pdf"
    text.write_text("nur Text")
    assert "keine lesbare PDF-Datei" in verify_pdf(text).problems[0]
