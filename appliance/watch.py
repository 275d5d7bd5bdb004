"""Capture from a watched input folder (network scanners, replayed files).

A file is taken only after its size and modification time stayed the same for the
stability delay, so a half-written file is never read. Hidden files and files ending
in ``.part``/``.tmp`` are ignored. ``claim`` moves a stable file into the folder's
``.in-arbeit`` subfolder (an atomic rename), so two watchers never take the same file;
``finish`` moves it on to ``.erledigt`` or ``.abgelehnt``. Files an interrupted run
left in ``.in-arbeit`` are processed first on the next start.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

IGNORED_SUFFIXES = {".part", ".tmp", ".crdownload"}
CLAIMED = ".in-arbeit"
DONE = ".erledigt"
REJECTED = ".abgelehnt"


class FolderWatcher:
    def __init__(
        self,
        folder: Path,
        *,
        stability_seconds: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.folder = folder
        self.stability_seconds = stability_seconds
        self.clock = clock
        self._seen: dict[Path, tuple[int, int, float]] = {}  # size, mtime_ns, since

    def poll(self) -> list[Path]:
        """Files that have not changed for the stability delay, oldest first."""
        now = self.clock()
        current: dict[Path, tuple[int, int, float]] = {}
        ready = []
        for path in self._candidates():
            try:
                stat = path.stat()
            except FileNotFoundError:
                continue
            size, mtime = stat.st_size, stat.st_mtime_ns
            before = self._seen.get(path)
            since = before[2] if before and before[:2] == (size, mtime) else now
            current[path] = (size, mtime, since)
            if now - since >= self.stability_seconds:
                ready.append(path)
        self._seen = current
        return ready

    def claim(self, path: Path) -> Path | None:
        """Move a stable file into ``.in-arbeit``; ``None`` if another watcher won."""
        target = self.folder / CLAIMED / path.name
        target.parent.mkdir(exist_ok=True)
        try:
            path.rename(target)
        except FileNotFoundError:
            return None
        self._seen.pop(path, None)
        return target

    def idle(self) -> bool:
        """Nothing waiting in the folder (a file still being written counts)."""
        return not self._candidates() and not self._claimed()

    def _candidates(self) -> list[Path]:
        return [
            path
            for path in sorted(self.folder.iterdir())
            if path.is_file()
            and not path.name.startswith(".")
            and path.suffix not in IGNORED_SUFFIXES
        ]

    def _claimed(self) -> list[Path]:
        folder = self.folder / CLAIMED
        return sorted(folder.iterdir()) if folder.is_dir() else []

    def watch(
        self, *, interval: float = 0.5, stop: Callable[[], bool] = lambda: False
    ) -> Iterator[Path]:
        """Claimed stable files, as they arrive, until ``stop()`` is true. Files left
        in ``.in-arbeit`` by an interrupted run come first."""
        yield from self._claimed()
        while not stop():
            for path in self.poll():
                claimed = self.claim(path)
                if claimed is not None:
                    yield claimed
            time.sleep(interval)


def finish(claimed: Path, *, rejected: bool) -> Path:
    """Move a processed file out of ``.in-arbeit`` into ``.erledigt`` or
    ``.abgelehnt`` beside it."""
    target = claimed.parent.parent / (REJECTED if rejected else DONE) / claimed.name
    target.parent.mkdir(exist_ok=True)
    claimed.replace(target)
    return target
