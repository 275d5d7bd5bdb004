"""Fault injection on the real ``appliance process``: a ``kill -9`` in the middle of a
batch leaves no half-written document under a final name, and running the batch
again produces every document, counted page by page."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from appliance.integrity import sha256_file
from appliance.pipeline import run_batch
from appliance.scanlog import verify_chain
from appliance.verify import verify_pdf
from tests.appliance.conftest import MakeJob
from tests.appliance.letters import letter_file, separator_file

LETTERS = 5


def _inbox(tmp_path: Path) -> Path:
    inbox = tmp_path / "eingang"
    inbox.mkdir()
    sheets = []
    for seed in range(LETTERS):
        sheets.append(letter_file(tmp_path, seed, dpi=100, lines=2))
        if seed < LETTERS - 1:
            sheets.append(separator_file(tmp_path, 100 + seed, dpi=100))
    for number, sheet in enumerate(sheets, start=1):
        sheet.rename(inbox / f"scan-{number:04d}.png")
    return inbox


def _complete_documents(out: Path) -> int:
    """Every PDF under its final name verifies; every sidecar matches its PDF."""
    for pdf in out.glob("*.pdf"):
        assert verify_pdf(pdf).problems == [], pdf.name
    for sidecar in out.glob("*.json"):
        data = json.loads(sidecar.read_text())
        assert data["pdf_sha256"] == sha256_file(out / data["pdf_file"])
    return len(list(out.glob("*.json")))


@pytest.mark.slow
@pytest.mark.parametrize("kill_after", [0.0, "first-document"])
def test_kill_9_loses_nothing_and_a_rerun_completes_the_batch(
    tmp_path: Path, kill_after: float | str
) -> None:
    """GIVEN a batch of five letters with separator sheets between them
    WHEN `appliance process` is killed with SIGKILL right after start, or as soon as
    its first document appears, and then run again on the same batch
    THEN after the kill every file under a final name is complete (PDFs verify,
    sidecars match), the scan log chain is intact, and the rerun writes all five
    documents whose pages add up to the five letters."""
    inbox, out, state = _inbox(tmp_path), tmp_path / "out", tmp_path / "state"
    command = [
        sys.executable,
        "-m",
        "appliance",
        "process",
        str(inbox),
        "--out",
        str(out),
        "--state",
        str(state),
    ]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 120
    while (
        kill_after == "first-document"
        and not list(out.glob("*.pdf*"))
        and time.monotonic() < deadline
    ):
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    out.mkdir(exist_ok=True)
    _complete_documents(out)
    if (state / "scan-log.jsonl").exists():
        assert verify_chain(state / "scan-log.jsonl") == []

    rerun = subprocess.run(
        command, capture_output=True, text=True, timeout=300, check=False
    )
    assert rerun.returncode == 0, rerun.stderr
    assert _complete_documents(out) == LETTERS
    pages = [p for s in out.glob("*.json") for p in json.loads(s.read_text())["pages"]]
    assert len(pages) == LETTERS
    assert "9 Seiten erfasst, 5 in 5 Dokumenten, 4 entfernt" in rerun.stderr
    assert verify_chain(state / "scan-log.jsonl") == []


@pytest.mark.slow
def test_a_failed_write_keeps_every_raw_page_for_a_rerun(
    tmp_path: Path, make_job: MakeJob
) -> None:
    """GIVEN a batch of two documents whose second PDF cannot be written (a directory
    stands where its temporary file goes: a stand-in for a full disk, which cannot be
    made here without mount privileges)
    WHEN the batch runs
    THEN it fails loudly, the first document is complete, no second document exists
    under a final name, and the work folder still holds every raw page with the hash
    recorded in the scan log; after the obstacle is gone a rerun writes both."""
    sources = [
        letter_file(tmp_path, 1, dpi=100, lines=2),
        separator_file(tmp_path, 2, dpi=100),
        letter_file(tmp_path, 3, dpi=100, lines=2),
    ]
    job = make_job(keep_work=False, dpi=100)
    (job.out_dir / f"{job.label}-002.pdf.part").mkdir(parents=True)
    with pytest.raises(IsADirectoryError):
        run_batch(sources, job)
    assert verify_pdf(job.out_dir / f"{job.label}-001.pdf").ok
    assert not (job.out_dir / f"{job.label}-002.pdf").exists()
    raws = sorted(job.work_dir.glob("*_raw.*"))
    logged = [
        e.data["sha256"] for e in job.scan_log.entries() if e.kind == "page_captured"
    ]
    assert [sha256_file(r) for r in raws] == logged
    assert len(raws) == 3

    (job.out_dir / f"{job.label}-002.pdf.part").rmdir()
    result = run_batch(sources, make_job(keep_work=False, dpi=100))
    assert [d.page_numbers for d in result.documents] == [[1], [3]]
