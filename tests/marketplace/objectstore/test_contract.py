"""The ``ObjectStore`` contract, run against every implementation: the folder
beside the database and an S3 bucket (moto, an AWS S3 emulator, as a real
process on loopback)."""

from __future__ import annotations

import asyncio
import hashlib
import time

import pytest

from marketplace.objectstore import (
    ObjectCorrupt,
    ObjectMissing,
    ObjectStore,
    StoredObject,
    blob_key,
    intake_key,
)
from marketplace.objectstore.s3 import S3Store

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


def _body(n: int) -> tuple[bytes, str]:
    content = PDF + f"Nr. {n}".encode()
    return content, hashlib.sha256(content).hexdigest()


async def _listed(store: ObjectStore, prefix: str) -> list[StoredObject]:
    return sorted([found async for found in store.list(prefix)], key=lambda o: o.key)


async def test_a_deleted_body_is_gone_and_deleting_again_is_fine(
    backend: Backend,
) -> None:
    """GIVEN two stored bodies
    WHEN one is deleted, then deleted again, and a never stored key is deleted
    THEN only the other one is left, readable; the repeated and the missing
    delete raise nothing."""
    store = backend.store
    first, first_sha = _body(1)
    _, second_sha = _body(2)
    await store.put(blob_key(first_sha), first, sha256=first_sha, content_type="x/y")
    await store.put(KEY, PDF, sha256=SHA, content_type="application/pdf")
    await store.delete(blob_key(first_sha))
    await store.delete(blob_key(first_sha))
    await store.delete(blob_key(second_sha))
    assert backend.keys() == [KEY]
    assert not await store.exists(blob_key(first_sha))
    with pytest.raises(ObjectMissing):
        await store.get(blob_key(first_sha), sha256=first_sha)
    assert await store.get(KEY, sha256=SHA) == PDF


async def test_deleting_a_key_outside_the_store_is_refused(backend: Backend) -> None:
    """GIVEN a stored body
    WHEN a key that would leave the store is deleted
    THEN ObjectMissing (invalid key) and the body is still there."""
    await backend.store.put(KEY, PDF, sha256=SHA, content_type="application/pdf")
    with pytest.raises(ObjectMissing, match="Ungültiger Ablageschlüssel"):
        await backend.store.delete(f"intake/../../{KEY}")
    assert backend.keys() == [KEY]


async def test_a_listing_shows_every_object_below_a_prefix_once(
    backend: Backend,
) -> None:
    """GIVEN five submission documents and two scanned letters (the S3 store
    asked for pages of two keys, so its listing follows continuation tokens)
    WHEN the store lists ``delivery/blobs/``, ``intake/`` and a prefix nothing
    has
    THEN exactly the five, respectively the two, with their sizes and a
    modification time of about now; nothing for the empty prefix."""
    store = backend.store
    if isinstance(store, S3Store):
        store.list_page = 2
    started = time.time()
    blobs = {}
    for n in range(5):
        content, sha = _body(n)
        blobs[blob_key(sha)] = len(content)
        await store.put(blob_key(sha), content, sha256=sha, content_type="x/y")
    letters = {}
    for ags in ("14713000", "14612000"):
        await store.put(
            intake_key(ags, SHA), PDF, sha256=SHA, content_type="application/pdf"
        )
        letters[intake_key(ags, SHA)] = len(PDF)
    listed = await _listed(store, "delivery/blobs/")
    assert {o.key: o.size for o in listed} == blobs
    assert len(listed) == 5
    assert {o.key: o.size for o in await _listed(store, "intake/")} == letters
    assert await _listed(store, "nichts-hier/") == []
    for found in listed:
        # S3 keeps whole seconds; allow for that and for a slow machine
        assert started - 2 <= found.modified <= time.time() + 2


async def test_a_listing_leaves_out_what_does_not_start_with_the_prefix(
    backend: Backend,
) -> None:
    """GIVEN letters of two municipalities whose AGS share their first digits
    WHEN one municipality's prefix is listed without the final slash
    cut in the middle of the AGS
    THEN only the keys that start with that text."""
    store = backend.store
    for ags in ("14713000", "14713100", "14612000"):
        await store.put(
            intake_key(ags, SHA), PDF, sha256=SHA, content_type="application/pdf"
        )
    keys = [o.key for o in await _listed(store, "intake/147131")]
    assert keys == [intake_key("14713100", SHA)]
