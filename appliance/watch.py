"""Capture from a watched input folder (network scanners, replayed files).

A file is taken only after its size and modification time stayed the same for the
stability delay, so a half-written file is never read. Hidden files and files ending
in ``.part``/``.tmp`` are ignored. ``claim`` moves a stable file into the folder's
``.in-arbeit`` subfolder (an atomic rename), so two watchers never take the same file.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

IGNORED_SUFFIXES = {".part", ".tmp", ".crdownload"}
CLAIMED = ".in-arbeit"


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
        for path in sorted(self.folder.iterdir()):
            if (
                not path.is_file()
                or path.name.startswith(".")
                or path.suffix in IGNORED_SUFFIXES
            ):
                continue
            stat = path.stat()
            size, mtime = stat.st_size, stat.st_mtime_ns
            before = self._seen.get(path)
            since = before[2] if before and before[:2] == (size, mtime) else now
            current[path] = (size, mtime, since)
            if size > 0 and now - since >= self.stability_seconds:
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

    def watch(
        self, *, interval: float = 0.5, stop: Callable[[], bool] = lambda: False
    ) -> Iterator[Path]:
        """Claimed stable files, as they arrive, until ``stop()`` is true."""
        while not stop():
            for path in self.poll():
                claimed = self.claim(path)
                if claimed is not None:
                    yield claimed
            time.sleep(interval)
