"""The contract of a document store, the keys documents live under, and its errors.

A key is a relative, slash-separated path such as ``intake/14713000/ab/<sha>.pdf``
(scanned mail) or ``delivery/blobs/ab/<sha>`` (online submissions). Keys are
content addressed: the same bytes always get the same key, so writing twice is
harmless and a reader can check what it got against the SHA-256 in the key's
record. The outbox and the intake rows store keys, never absolute paths.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import ClassVar, Protocol, runtime_checkable

from marketplace.errors import MarketplaceError

# Hashing a large document blocks for milliseconds; above this size in a thread.
_THREAD_HASH_BYTES = 256 * 1024
_KEY = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")
# The top-level prefixes under which the marketplace keeps document bodies.
PREFIXES = ("intake/", "delivery/blobs/")


@dataclass(frozen=True)
class StoredObject:
    """One object as a listing shows it: key, size in bytes, and when it was
    last written (Unix seconds; S3 gives whole seconds)."""

    key: str
    size: int
    modified: float


@runtime_checkable
class ObjectStore(Protocol):
    """Document bodies by key: the folder beside the database or an S3 bucket.

    Contract (``tests/marketplace/objectstore/test_contract.py`` runs it against
    every implementation):

    - ``put`` refuses bytes whose SHA-256 is not ``sha256`` (``ObjectCorrupt``)
      and writes nothing then; otherwise, when it returns, the whole object is
      durable. A second ``put`` of the same key and bytes changes nothing.
    - ``get`` returns exactly the bytes that were put, checked against
      ``sha256``: ``ObjectMissing`` when there is no object, ``ObjectCorrupt``
      when it differs (truncated, altered, a foreign object under the key).
    - ``exists`` tells whether an object is stored under the key.
    - ``delete`` removes the object under the key; deleting a missing key is
      fine (idempotent), so a purge interrupted half way can simply run again.
    - ``list`` yields every object whose key starts with ``prefix`` (in no
      particular order, each once), with its size and modification time; the
      folder store leaves out its temporary files.
    - ``check`` proves the store is usable (folder writable, bucket reachable
      with these credentials), for start-up and health checks.
    - Any failure of the store itself (unreachable, credentials refused, bucket
      missing, disk error) raises ``StoreUnavailable``: retry later, nothing is
      lost. No method ever logs or returns a credential.
    """

    async def put(
        self, key: str, content: bytes, *, sha256: str, content_type: str
    ) -> None: ...

    async def get(self, key: str, *, sha256: str) -> bytes: ...

    async def exists(self, key: str) -> bool: ...

    async def delete(self, key: str) -> None: ...

    def list(self, prefix: str) -> AsyncIterator[StoredObject]: ...

    async def check(self) -> None: ...

    async def close(self) -> None: ...


def intake_key(ags: str, sha256: str) -> str:
    """Scanned mail from appliances, per municipality."""
    return f"intake/{ags}/{sha256[:2]}/{sha256}.pdf"


def blob_key(sha256: str) -> str:
    """Documents of online submissions and test deliveries."""
    return f"delivery/blobs/{sha256[:2]}/{sha256}"


_INTAKE_KEY = re.compile(r"^intake/(\d{8})/[0-9a-f]{2}/([0-9a-f]{64})\.pdf$")
_BLOB_KEY = re.compile(r"^delivery/blobs/[0-9a-f]{2}/([0-9a-f]{64})$")


def intake_key_parts(key: str) -> tuple[str, str] | None:
    """(AGS, SHA-256) of a key made by ``intake_key``, else None."""
    found = _INTAKE_KEY.match(key)
    return (found[1], found[2]) if found else None


def blob_key_sha256(key: str) -> str | None:
    """The SHA-256 of a key made by ``blob_key``, else None."""
    found = _BLOB_KEY.match(key)
    return found[1] if found else None


def checked_key(key: str) -> str:
    """``key`` if it is a relative path without ``..`` or empty parts."""
    if not _KEY.fullmatch(key) or ".." in key.split("/"):
        raise ObjectMissing(f"Ungültiger Ablageschlüssel {key!r}.")
    return key


async def digest(content: bytes) -> str:
    if len(content) > _THREAD_HASH_BYTES:
        return await asyncio.to_thread(_sha256, content)
    return _sha256(content)


async def verified(key: str, content: bytes, sha256: str) -> bytes:
    """``content`` if it hashes to ``sha256``, else ``ObjectCorrupt``."""
    if await digest(content) != sha256:
        raise ObjectCorrupt(
            f"Dokument {sha256[:12]}… in der Ablage ({key}) ist verändert oder "
            "unvollständig."
        )
    return content


def _sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class StoreConfigError(MarketplaceError):
    """The configured document store cannot be used as written (settings)."""

    slug: ClassVar[str] = "document-store-config"


class DocumentStoreError(MarketplaceError):
    """The document store could not do what was asked (German ``detail``)."""

    status_code: ClassVar[int] = 503
    title: ClassVar[str] = "Dokumentablage nicht verfügbar"
    slug: ClassVar[str] = "document-store-unavailable"


class StoreUnavailable(DocumentStoreError):
    """The store itself failed (unreachable, refused, misconfigured): retry later.

    ``cause`` is the German sentence naming what failed, ``reason`` a short code
    for the logs (an S3 error code, an errno name, an exception class; never a
    credential), ``reachable`` False when the store did not answer at all."""

    def __init__(self, cause: str, *, reason: str, reachable: bool = True) -> None:
        super().__init__(f"{cause} Bitte später erneut versuchen.")
        self.cause = cause
        self.reason = reason
        self.reachable = reachable


class ObjectMissing(DocumentStoreError):
    """No object under the key (the store works, the document is not there)."""

    status_code = 500
    title = "Dokument fehlt"
    slug = "document-missing"


class ObjectCorrupt(DocumentStoreError):
    """The bytes do not hash to the expected SHA-256."""

    status_code = 500
    title = "Dokument beschädigt"
    slug = "document-corrupt"
