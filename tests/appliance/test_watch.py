"""The watched input folder never hands out a file that is still being written."""

from __future__ import annotations

import time
from pathlib import Path

from appliance.watch import FolderWatcher


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


def test_temporary_hidden_and_empty_files_are_ignored(tmp_path: Path) -> None:
    """GIVEN a .part file, a hidden file and an empty file
    WHEN the watcher polls long after
    THEN none of them is reported."""
    clock = Clock()
    watcher = FolderWatcher(tmp_path, stability_seconds=1.0, clock=clock)
    (tmp_path / "upload.pdf.part").write_bytes(b"x")
    (tmp_path / ".hidden.png").write_bytes(b"x")
    (tmp_path / "empty.png").write_bytes(b"")
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
