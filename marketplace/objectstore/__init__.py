"""Where document bodies live: the folder beside the database (default) or an
S3-compatible object store (``--object-store s3://...``, docs/operations.md).

The intake (scanned mail) and the delivery (submission documents) store and read
bodies only through an ``ObjectStore``; the database rows hold the keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from marketplace.objectstore.base import (
    PREFIXES,
    DocumentStoreError,
    ObjectCorrupt,
    ObjectMissing,
    ObjectStore,
    StoreConfigError,
    StoredObject,
    StoreUnavailable,
    blob_key,
    blob_key_sha256,
    intake_key,
    intake_key_parts,
)
from marketplace.objectstore.files import FileStore

if TYPE_CHECKING:
    from marketplace.settings import Settings

__all__ = [
    "PREFIXES",
    "DocumentStoreError",
    "FileStore",
    "ObjectCorrupt",
    "ObjectMissing",
    "ObjectStore",
    "StoreConfigError",
    "StoreUnavailable",
    "StoredObject",
    "blob_key",
    "blob_key_sha256",
    "intake_key",
    "intake_key_parts",
    "object_store_for",
]


def object_store_for(settings: Settings) -> ObjectStore:
    """The store the settings name: S3 for ``s3://...``, else the folder of
    ``db_path`` (where the documents always were)."""
    if not settings.object_store:
        return FileStore(settings.db_path.parent)
    from marketplace.objectstore.s3 import S3Location, S3Store
    from marketplace.objectstore.sigv4 import Credentials

    location = S3Location.parse(settings.object_store)
    if not (settings.s3_access_key and settings.s3_secret_key):
        raise StoreConfigError(
            "Für die S3-Dokumentablage fehlen Zugangsdaten: MARKETPLACE_S3_ACCESS_KEY"
            " und MARKETPLACE_S3_SECRET_KEY (oder AWS_ACCESS_KEY_ID und "
            "AWS_SECRET_ACCESS_KEY) setzen."
        )
    credentials = Credentials(settings.s3_access_key, settings.s3_secret_key)
    return S3Store(location, credentials)
