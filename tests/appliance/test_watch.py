"""The watched input folder never hands out a file that is still being written."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from appliance.watch import FolderWatcher
from tests.appliance.letters import letter_file


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_a_file_is_taken_only_after_it_stopped_growing(tmp_path: Path) -> None:
    """GIVEN a network scanner writing a file in three chunks, one second apart
    WHEN the watcher polls with a 2-second stability delay
    THEN it reports the file only 2 seconds after the last chunk, and only once after
    claiming it."""
    clock = Clock()
    watcher = FolderWatcher(tmp_path, stability_seconds=2.0, clock=clock)
    target = tmp_path / "scan-0001.pdf"
    for chunk in range(3):
        with target.open("ab") as handle:
            handle.write(b"x" * 1000 * (chunk + 1))
        assert watcher.poll() == []
        clock.now += 1.0
    assert watcher.poll() == []
    clock.now += 1.0
    assert watcher.poll() == [target]
    claimed = watcher.claim(target)
    assert claimed is not None
    assert claimed.read_bytes() == b"x" * 6000
    clock.now += 5.0
    assert watcher.poll() == []


def test_temporary_and_hidden_files_are_ignored(tmp_path: Path) -> None:
    """GIVEN a .part file and a hidden file
    WHEN the watcher polls long after
    THEN neither is reported."""
    clock = Clock()
    watcher = FolderWatcher(tmp_path, stability_seconds=1.0, clock=clock)
    (tmp_path / "upload.pdf.part").write_bytes(b"x")
    (tmp_path / ".hidden.png").write_bytes(b"x")
    watcher.poll()
    clock.now += 10
    assert watcher.poll() == []


def test_watch_yields_claimed_files_with_the_real_clock(tmp_path: Path) -> None:
    """GIVEN a file dropped into the folder
    WHEN watch() runs with a 0.2 s stability delay on the real clock
    THEN it yields the file moved into .in-arbeit."""
    (tmp_path / "brief.png").write_bytes(b"data")
    watcher = FolderWatcher(tmp_path, stability_seconds=0.2)
    deadline = time.monotonic() + 10
    found = next(watcher.watch(interval=0.05, stop=lambda: time.monotonic() > deadline))
    assert found == tmp_path / ".in-arbeit" / "brief.png"
    assert not (tmp_path / "brief.png").exists()


def test_appliance_watch_once_processes_the_folder_and_sorts_the_files(
    tmp_path: Path,
) -> None:
    """GIVEN an input folder with a letter, a corrupt file, and a file left in
    .in-arbeit by an interrupted run
    WHEN `appliance watch DIR --once` runs
    THEN each becomes its own batch: two documents are written, the corrupt file is
    rejected (exit 1), the files end in .erledigt and .abgelehnt, and it stops when
    the folder is empty."""
    inbox, out = tmp_path / "eingang", tmp_path / "out"
    (inbox / ".in-arbeit").mkdir(parents=True)
    letter_file(tmp_path, 1, dpi=100, lines=2).rename(inbox / ".in-arbeit" / "alt.png")
    letter_file(tmp_path, 2, dpi=100, lines=2).rename(inbox / "neu.png")
    (inbox / "kaputt.png").write_bytes(b"\x89PNG kaputt")
    command = [
        sys.executable,
        "-m",
        "appliance",
        "watch",
        str(inbox),
        "--out",
        str(out),
    ]
    command += ["--state", str(tmp_path / "state"), "--stability", "0.3", "--once"]
    done = subprocess.run(
        command, capture_output=True, text=True, timeout=180, check=False
    )
    assert done.returncode == 1, done.stderr
    assert sorted(p.name for p in out.glob("*.pdf")) == ["alt-001.pdf", "neu-001.pdf"]
    assert sorted(p.name for p in (inbox / ".erledigt").iterdir()) == [
        "alt.png",
        "neu.png",
    ]
    assert [p.name for p in (inbox / ".abgelehnt").iterdir()] == ["kaputt.png"]
    assert list((inbox / ".in-arbeit").iterdir()) == []
    assert "kaputt.png" in done.stderr
