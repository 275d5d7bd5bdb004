"""Capture from the real SANE ``test`` device through ``scanimage``: its ADF runs empty
after 10 sheets, and it returns JAMMED, COVER_OPEN and other statuses on request."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from PIL import Image

from appliance._exec import scanimage
from appliance.errors import WrongProfile
from appliance.scanner import capture_scanner, scanimage_options
from appliance.settings import PipelineSettings, ScanProfile
from tests.appliance.conftest import MakeJob

pytestmark = pytest.mark.skipif(
    shutil.which("scanimage") is None,
    reason="sane-utils missing: run scripts/bootstrap",
)

ADF = PipelineSettings(
    profile=ScanProfile(resolution=100, paper="scan-area", source="adf")
)


def test_version_probe_and_device_options() -> None:
    """GIVEN sane-utils with the test backend enabled
    WHEN the wrapper probes it
    THEN it reports a version and the test device's modes and sources."""
    assert scanimage.version()[0].isdigit()
    options = scanimage.device_options("test")
    assert "Gray" in options["mode"]
    assert "Automatic Document Feeder" in options["source"]


def test_adf_batch_runs_until_the_feeder_is_empty(make_job: MakeJob) -> None:
    """GIVEN the test device's ADF (10 sheets)
    WHEN a batch is scanned with no page limit
    THEN 10 pages are captured, hashed and logged, and the empty feeder ends the batch
    normally."""
    job = make_job(ADF)
    outcome = capture_scanner(job, "test")
    assert outcome.stopped is None
    assert [p.number for p in outcome.pages] == list(range(1, 11))
    assert all(
        len(p.raw_sha256) == 64 and Path(p.raw_path).exists() for p in outcome.pages
    )
    assert [e.kind for e in job.scan_log.entries()] == ["page_captured"] * 10
    with Image.open(outcome.pages[0].raw_path) as first:
        assert first.mode == "L"


@pytest.mark.parametrize(
    ("status", "code", "word"),
    [
        ("SANE_STATUS_JAMMED", "paper-jam", "Papierstau"),
        ("SANE_STATUS_COVER_OPEN", "cover-open", "Abdeckung"),
    ],
)
def test_jam_and_open_cover_stop_a_resumable_batch(
    make_job: MakeJob, status: str, code: str, word: str
) -> None:
    """GIVEN a device that reports a paper jam or an open cover while reading
    WHEN a batch is scanned
    THEN no page is half-written, the operator gets a German message, the stop is
    logged, and the batch is resumable."""
    job = make_job(ADF)
    fault = [f"--read-return-value={status}"]  # the test device's own fault switch
    outcome = capture_scanner(job, "test", count=3, extra_options=fault)
    assert (outcome.pages, outcome.stopped, outcome.resumable) == ([], code, True)
    assert word in outcome.message
    assert list((job.work_dir / "scanner").iterdir()) == []
    assert job.scan_log.entries()[-1].kind == "scanner_stop"


def test_resume_continues_numbering(make_job: MakeJob) -> None:
    """GIVEN a batch that stopped after 3 flatbed pages
    WHEN scanning resumes from page 4
    THEN pages 4-5 follow without gaps or duplicates."""
    job = make_job(
        PipelineSettings(
            profile=ScanProfile(resolution=75, paper="scan-area", source="flatbed")
        )
    )
    first = capture_scanner(job, "test", count=3)
    second = capture_scanner(job, "test", start=4, count=2)
    assert [p.number for p in first.pages + second.pages] == [1, 2, 3, 4, 5]
    assert len({p.raw_path for p in first.pages + second.pages}) == 5


@pytest.mark.timeout(60)
def test_a_flatbed_without_a_page_count_scans_one_sheet(make_job: MakeJob) -> None:
    """GIVEN the test device's flatbed and no page count (a station batch)
    WHEN a scan is started
    THEN it returns after one sheet, reporting it as captured page 1 of a batch
    whose size nobody knows (scanimage would otherwise scan the glass again and
    again, and the station page said "Seite 0 von 0" until it timed out)."""
    seen: list[tuple[str, int, int]] = []
    job = make_job(
        PipelineSettings(
            profile=ScanProfile(resolution=75, paper="scan-area", source="flatbed")
        )
    )
    job.progress = lambda stage, done, total: seen.append((stage, done, total))
    outcome = capture_scanner(job, "test")
    assert (outcome.stopped, [p.number for p in outcome.pages]) == (None, [1])
    assert seen[0] == ("capture", 0, 0)
    assert seen[-1] == ("capture", 1, 0)


JAM_WITH_SIGPIPE = """Scanning 1 page, incrementing by 1, numbering from 3
Scanning page 3
scanimage: sane_read: Scanner cover is open
Scanned page 3. (scanner status = 8)
Batch terminated, 1 page scanned
scanimage: received signal 13
scanimage: trying to stop scanner
scanimage: received signal 13
scanimage: aborting
"""

TWO_GOOD_PAGES = """Scanning page 1
Scanned page 1. (scanner status = 5)
Scanning page 2
Scanned page 2. (scanner status = 5)
Batch terminated, 2 pages scanned
"""


@pytest.mark.parametrize(
    ("code", "stderr", "expected"),
    [
        (0, JAM_WITH_SIGPIPE, "cover-open"),  # exit code lost to SIGPIPE
        (-9, JAM_WITH_SIGPIPE, "cover-open"),  # killed while hanging in clean-up
        (-9, TWO_GOOD_PAGES, None),  # killed after a complete batch
        (0, TWO_GOOD_PAGES, None),
        (6, "scanimage: sane_read: Document feeder jammed", "paper-jam"),
        (-9, "Scanning page 1\n", "scanner-error"),  # killed mid-page
    ],
)
def test_the_stop_reason_comes_from_scanimages_report(
    code: int, stderr: str, expected: str | None
) -> None:
    """GIVEN what scanimage 1.1 wrote to stderr (taken from the SANE test device:
    after a device error its clean-up can die of SIGPIPE and exit 0, or hang)
    WHEN the wrapper decides why the scanner stopped
    THEN the status of the last page decides when the exit code does not tell."""
    stop = scanimage._stop_reason(code, stderr)
    assert (stop.code if stop else None) == expected


def test_an_open_cover_is_reported_every_time(make_job: MakeJob) -> None:
    """GIVEN the test device's flatbed reporting an open cover
    WHEN it is asked for a sheet ten times
    THEN each time the scan stops with "cover-open" and no page (before the fix
    about one scan in twenty came back as a normal end or hung)."""
    job = make_job(
        PipelineSettings(
            profile=ScanProfile(resolution=75, paper="scan-area", source="flatbed")
        )
    )
    fault = ["--read-return-value=SANE_STATUS_COVER_OPEN"]
    stops = [capture_scanner(job, "test", extra_options=fault) for _ in range(10)]
    assert {(s.stopped, len(s.pages)) for s in stops} == {("cover-open", 0)}


def test_missing_device_is_reported(make_job: MakeJob) -> None:
    """GIVEN a device name that does not exist (scanner unplugged)
    WHEN a batch is started
    THEN the German message says the scanner is not reachable."""
    with pytest.raises(Exception, match="nicht erreichbar"):
        capture_scanner(make_job(ADF), "test:99")


@pytest.mark.parametrize(
    ("profile", "message"),
    [
        (ScanProfile(source="adf-duplex", paper="scan-area"), "beidseitigen Einzug"),
        (ScanProfile(paper="A4"), "größer als die Scanfläche"),
        (ScanProfile(mode="lineart", paper="scan-area"), None),
    ],
)
def test_profile_is_checked_against_the_device(
    profile: ScanProfile, message: str | None
) -> None:
    """GIVEN profiles the test device cannot do (duplex, A4 on its 200 mm bed) and one it
    can through 1-bit depth (line art)
    WHEN the scanimage options are built
    THEN impossible profiles get a German WrongProfile message before any sheet moves."""
    options = scanimage.device_options("test")
    if message is None:
        assert "--depth=1" in scanimage_options(profile, options)
        return
    with pytest.raises(WrongProfile, match=message):
        scanimage_options(profile, options)
