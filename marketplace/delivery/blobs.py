"""Document bodies on disk, content addressed, beside the database file.

Online submissions' documents go to ``<data dir>/delivery/blobs/<ab>/<sha256>``;
scanned mail stays where the intake stored it. Either way the outbox holds only a
location relative to the data directory, and the engine reads one submission's
documents at a time, so memory is bounded by concurrency, not queue length.
Files are written to a temporary name, fsynced and renamed before the database
row that refers to them is committed.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path

from connectors.errors import InvalidSubmission


def data_dir(db_path: Path) -> Path:
    return db_path.parent


def blob_location(sha256: str) -> str:
    return f"delivery/blobs/{sha256[:2]}/{sha256}"


def store(root: Path, sha256: str, content: bytes) -> str:
    """Write ``content`` under its hash (kept if already whole); its location."""
    location = blob_location(sha256)
    target = root / location
    if target.exists() and target.stat().st_size == len(content):
        return location
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
    return location


def load(root: Path, location: str, sha256: str, size: int) -> bytes:
    """The bytes at ``location``; refuses a missing, truncated or altered file."""
    path = (root / location).resolve()
    if not path.is_relative_to(root.resolve()):
        raise InvalidSubmission(f"Dokumentablage {location} liegt außerhalb.")
    try:
        content = path.read_bytes()
    except FileNotFoundError:
        raise InvalidSubmission(
            f"Dokument {sha256[:12]}… fehlt in der Ablage."
        ) from None
    if len(content) != size or hashlib.sha256(content).hexdigest() != sha256:
        raise InvalidSubmission(f"Dokument {sha256[:12]}… in der Ablage verändert.")
    return content
