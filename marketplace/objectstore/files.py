"""Document bodies as files in a folder (by default the folder of the database).

The key is the path below the folder, so the layout is the one the marketplace
always had: ``<data>/intake/<AGS>/<xx>/<sha256>.pdf`` and
``<data>/delivery/blobs/<xx>/<sha256>``; existing data keeps working. A file is
written to a temporary name, flushed to disk, renamed and its folder flushed,
so a crash leaves either no file or the whole file.
"""

from __future__ import annotations

import asyncio
import errno
import itertools
import logging
import os
import secrets
from collections.abc import AsyncIterator, Generator, Iterator
from pathlib import Path

from marketplace.objectstore.base import (
    ObjectMissing,
    StoredObject,
    StoreUnavailable,
    checked_key,
    verified,
)

# Objects listed per hop into the file system thread.
_LIST_CHUNK = 1000

log = logging.getLogger(__name__)


class FileStore:
    """An ``ObjectStore`` on the local (or a shared) file system."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def __str__(self) -> str:
        return f"folder {self.root}"

    def path(self, key: str) -> Path:
        return self.root / checked_key(key)

    async def put(
        self, key: str, content: bytes, *, sha256: str, content_type: str
    ) -> None:
        await verified(key, content, sha256)
        try:
            await asyncio.to_thread(_write, self.path(key), content)
        except OSError as exc:
            raise _unavailable(exc, self.root) from exc

    async def get(self, key: str, *, sha256: str) -> bytes:
        target = self.path(key)
        try:
            content = await asyncio.to_thread(target.read_bytes)
        except FileNotFoundError:
            raise ObjectMissing(
                f"Dokument {sha256[:12]}… fehlt in der Ablage ({key})."
            ) from None
        except OSError as exc:
            raise _unavailable(exc, self.root) from exc
        return await verified(key, content, sha256)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path(key).is_file)

    async def delete(self, key: str) -> None:
        """Remove the file (a missing one is fine) and flush its folder."""
        try:
            await asyncio.to_thread(_remove, self.path(key))
        except OSError as exc:
            raise _unavailable(exc, self.root) from exc

    async def list(self, prefix: str) -> AsyncIterator[StoredObject]:
        """Files below the folder of ``prefix`` whose key starts with it, walked
        in a thread in chunks; temporary files (``.name.tmp``) are left out."""
        folder, _, _ = prefix.rpartition("/")
        walker = _walk(self.root, self.root / folder if folder else self.root)
        try:
            while chunk := await asyncio.to_thread(_next_chunk, walker):
                for found in chunk:
                    if found.key.startswith(prefix):
                        yield found
        except OSError as exc:
            raise _unavailable(exc, self.root) from exc
        finally:
            walker.close()

    async def check(self) -> None:
        """The folder exists (it is created) and a file can be written in it."""
        try:
            await asyncio.to_thread(_probe, self.root)
        except OSError as exc:
            raise _unavailable(exc, self.root) from exc

    async def close(self) -> None:
        return None


def _write(target: Path, content: bytes) -> None:
    """Write ``content`` durably; an existing whole file is kept."""
    if target.exists() and target.stat().st_size == len(content):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        with tmp.open("wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _remove(target: Path) -> None:
    try:
        target.unlink()
    except FileNotFoundError:
        return
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)


def _walk(root: Path, top: Path) -> Generator[StoredObject, None, None]:
    for folder, _, names in os.walk(top):
        base = Path(folder)
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = base / name
            try:
                stat = path.stat()
            except FileNotFoundError:  # deleted while walking
                continue
            key = path.relative_to(root).as_posix()
            yield StoredObject(key=key, size=stat.st_size, modified=stat.st_mtime)


def _next_chunk(walker: Iterator[StoredObject]) -> list[StoredObject]:
    return list(itertools.islice(walker, _LIST_CHUNK))


def _probe(root: Path) -> None:
    root.mkdir(parents=True, exist_ok=True)
    probe = root / f".probe-{secrets.token_hex(6)}"
    probe.write_bytes(b"")
    probe.unlink()


def _unavailable(exc: OSError, root: Path) -> StoreUnavailable:
    reason = errno.errorcode.get(exc.errno or 0, type(exc).__name__)
    log.warning("document folder %s failed: %s", root, exc)
    if exc.errno == errno.ENOSPC:
        cause = "Die Dokumentablage ist voll."
    else:
        cause = f"Die Dokumentablage ist nicht beschreibbar oder lesbar ({reason})."
    return StoreUnavailable(cause, reason=reason)
