"""The file store of received documents: content-addressed files beside the database.

Files live in ``<data dir>/intake/<AGS>/<first two hex digits>/<sha256>.pdf`` where
the data directory is the folder of the marketplace's database file. A file is
written to a temporary name, flushed to disk and renamed, so a crash leaves either
no file or the whole file; the database row is committed only afterwards.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def document_path(root: Path, ags: str, sha256: str) -> Path:
    return root / ags / sha256[:2] / f"{sha256}.pdf"


def store(root: Path, ags: str, sha256: str, content: bytes) -> Path:
    """Write ``content`` durably under its hash; an existing whole file is kept."""
    target = document_path(root, ags, sha256)
    if target.exists() and target.stat().st_size == len(content):
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{secrets.token_hex(6)}.tmp")
    try:
        with tmp.open("wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    directory = os.open(target.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return target
