"""OCR with the real ``tesseract -l deu`` in parallel single-thread processes."""

from __future__ import annotations

import difflib
from pathlib import Path

import pytest

from appliance._exec import tesseract
from appliance.ocr import parse_tsv
from appliance.pages import Page
from appliance.pipeline import clean_read_and_ocr
from appliance.samples import letter, scan
from tests.appliance.conftest import MakeJob


def test_tesseract_version_and_german_are_available() -> None:
    """GIVEN the machine set up by scripts/bootstrap
    WHEN the wrapper probes tesseract
    THEN it reports version 4 or newer with German installed."""
    assert int(tesseract.version().split(".")[0]) >= 4
    assert "deu" in tesseract.languages()


@pytest.mark.slow
def test_two_pages_are_read_in_parallel_with_umlauts_and_confidence(
    tmp_path: Path, make_job: MakeJob
) -> None:
    """GIVEN two scanned 150 dpi letters with German text
    WHEN they are cleaned and OCR'd by the pipeline's parallel stage
    THEN every line of each page's ground truth is read closely (umlauts included), has a
    confidence above 70, and a text-only PDF page for the text layer."""
    job = make_job()
    pages, truths = [], []
    for number in (1, 2):
        image, truth = letter(number, dpi=150, lines=4)
        raw = tmp_path / f"letter{number}-150dpi.png"
        scan(image, number, skew=1.5).save(raw, dpi=(150, 150))
        page = Page(
            number=number, source=raw.name, raw_path=str(raw), raw_sha256="", dpi=150
        )
        pages.append(page)
        truths.append(truth.text)
    done = clean_read_and_ocr(pages, job)
    for page, truth in zip(done, truths, strict=True):
        found = page.text.splitlines()
        for line in truth.splitlines():
            best = max(difflib.SequenceMatcher(None, line, f).ratio() for f in found)
            assert best > 0.9, (line, page.text)
        assert page.confidence is not None
        assert page.confidence > 70
        assert Path(page.text_layer_path).stat().st_size > 0
    assert any(ch in done[0].text + done[1].text for ch in "äöüß")


def test_tsv_is_parsed_into_lines_paragraphs_and_weighted_confidence() -> None:
    """GIVEN tesseract TSV with two paragraphs and a non-word row
    WHEN it is parsed
    THEN lines and paragraphs are kept and the confidence is weighted by word length."""
    header = "level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext"
    rows = [
        "4\t1\t1\t1\t1\t0\t0\t0\t1\t1\t-1\t",
        "5\t1\t1\t1\t1\t1\t0\t0\t1\t1\t90\tSehr",
        "5\t1\t1\t1\t1\t2\t0\t0\t1\t1\t60\tgeehrte",
        "5\t1\t1\t2\t1\t1\t0\t0\t1\t1\t100\tGrüße",
    ]
    text, confidence = parse_tsv("\n".join([header, *rows]))
    assert text == "Sehr geehrte\n\nGrüße"
    assert confidence == pytest.approx((90 * 4 + 60 * 7 + 100 * 5) / 16, abs=0.1)
    assert parse_tsv(header) == ("", None)
