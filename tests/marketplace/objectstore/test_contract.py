"""The ``ObjectStore`` contract, run against every implementation: the folder
beside the database and an S3 bucket (moto, an AWS S3 emulator, as a real
process on loopback)."""

from __future__ import annotations

import asyncio
import hashlib

import pytest

from marketplace.objectstore import (
    ObjectCorrupt,
    ObjectMissing,
    blob_key,
    intake_key,
)

from .conftest import Backend

PDF = b"%PDF-1.7\n% Bescheid\n" + bytes(range(256)) * 40 + b"\n%%EOF\n"
SHA = hashlib.sha256(PDF).hexdigest()
KEY = intake_key("14713000", SHA)


async def test_a_stored_body_reads_back_byte_for_byte(backend: Backend) -> None:
    """GIVEN an empty store
    WHEN a PDF is put under its intake key
    THEN it exists, reads back identical, and is the only object."""
    store = backend.store
    assert not await store.exists(KEY)
    await store.put(KEY, PDF, sha256=SHA, content_type="application/pdf")
    assert await store.exists(KEY)
    assert await store.get(KEY, sha256=SHA) == PDF
    assert backend.keys() == [KEY]


async def test_putting_the_same_body_again_changes_nothing(backend: Backend) -> None:
    """GIVEN a stored body
    WHEN it is put again, once in sequence and ten times concurrently
    THEN there is still exactly one object with the same bytes."""
    store = backend.store
    key = blob_key(SHA)
    await store.put(key, PDF, sha256=SHA, content_type="application/pdf")
    await store.put(key, PDF, sha256=SHA, content_type="application/pdf")
    await asyncio.gather(
        *(
            store.put(key, PDF, sha256=SHA, content_type="application/pdf")
            for _ in range(10)
        )
    )
    assert backend.keys() == [key]
    assert await store.get(key, sha256=SHA) == PDF


async def test_bytes_that_do_not_match_their_hash_are_not_stored(
    backend: Backend,
) -> None:
    """GIVEN a body truncated on the way
    WHEN it is put under the hash of the whole body
    THEN ObjectCorrupt, and nothing is stored."""
    with pytest.raises(ObjectCorrupt, match="verändert oder unvollständig"):
        await backend.store.put(
            KEY, PDF[:-10], sha256=SHA, content_type="application/pdf"
        )
    assert backend.keys() == []


async def test_a_missing_body_is_reported_as_missing(backend: Backend) -> None:
    """GIVEN an empty store
    WHEN a body is read
    THEN ObjectMissing with the start of its hash, in German."""
    with pytest.raises(ObjectMissing, match=f"{SHA[:12]}… fehlt in der Ablage"):
        await backend.store.get(KEY, sha256=SHA)


@pytest.mark.parametrize(
    "foreign",
    [PDF[:-1], PDF + b"x", b"%PDF-1.7 ein anderes Dokument", b""],
    ids=["truncated", "appended", "other-document", "empty"],
)
async def test_an_altered_or_foreign_body_is_never_served(
    backend: Backend, foreign: bytes
) -> None:
    """GIVEN an object under the key whose bytes are not the expected ones
    (written around the store, as a broken disk or another writer would)
    WHEN it is read
    THEN ObjectCorrupt instead of the bytes."""
    backend.write_raw(KEY, foreign)
    with pytest.raises(ObjectCorrupt):
        await backend.store.get(KEY, sha256=SHA)


@pytest.mark.parametrize(
    "key", ["../etc/passwd", "intake/../../x", "/abs/path", "a//b", "a/./b", ""]
)
async def test_keys_outside_the_store_are_refused(backend: Backend, key: str) -> None:
    """GIVEN a key that would leave the store's root (as from a tampered row)
    WHEN it is read
    THEN ObjectMissing, and no file or request outside happens."""
    with pytest.raises(ObjectMissing, match="Ungültiger Ablageschlüssel"):
        await backend.store.get(key, sha256=SHA)


async def test_a_working_store_passes_its_check(backend: Backend) -> None:
    """GIVEN a store that works
    WHEN checked (as at start-up)
    THEN no error, and the check leaves no object behind."""
    await backend.store.check()
    assert backend.keys() == []
