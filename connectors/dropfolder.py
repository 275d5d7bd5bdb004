"""Drop folder: one directory per submission, written atomically, with a manifest.

For old DMS imports that read a directory at night. Everything is first written
to ``<root>/.incoming/<random>/`` and fsynced, then the directory is renamed to
``<root>/<name>`` in one step, so the importer never sees half a submission.
``<name>`` is the idempotency key (prefixed ``test-`` for test submissions);
``manifest.json`` lists every file with its SHA-256. A second delivery of the same
key finds the folder and answers ``Delivered`` with ``duplicate`` set. Only local
(or mounted) paths are supported; WebDAV would need a mount such as davfs2.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import logging
import os
import shutil
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, ClassVar, Self

import msgspec
from msgspec import Meta

from connectors.base import convert_settings, describe_settings
from connectors.results import (
    Deferred,
    Delivered,
    DeliveryResult,
    Health,
    Receipt,
    Rejected,
    SettingSpec,
)
from connectors.submission import Metadata, Submission, TransferNote

log = logging.getLogger(__name__)
MANIFEST = "manifest.json"
_INCOMING = ".incoming"


class ManifestFile(msgspec.Struct, kw_only=True, frozen=True):
    name: str
    role: str
    sha256: str
    size: int
    media_type: str
    document_id: str = ""
    original_filename: str = ""


class Manifest(msgspec.Struct, kw_only=True, frozen=True):
    format: str = "efa-stack-dropfolder/1"
    submission_id: str
    idempotency_key: str
    test: bool
    written_at: datetime
    metadata: Metadata
    transfer_note: TransferNote | None
    files: tuple[ManifestFile, ...]


class DropFolderSettings(
    msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True
):
    path: Annotated[
        str,
        Meta(
            min_length=1,
            description="Verzeichnis, das der nächtliche Import liest",
            examples=["/srv/dms-import/ordnungsamt"],
        ),
    ]
    max_bytes: Annotated[
        int, Meta(gt=0, description="Größte Nutzlast je Einreichung in Bytes")
    ] = 1024 * 1024 * 1024
    min_free_bytes: Annotated[
        int, Meta(ge=0, description="Freier Platz, der immer übrig bleiben muss")
    ] = 64 * 1024 * 1024


class DropFolderConnector:
    kind: ClassVar[str] = "dropfolder"

    def __init__(self, settings: DropFolderSettings) -> None:
        self._settings = settings
        self._root = Path(settings.path)

    @classmethod
    def settings(cls) -> tuple[SettingSpec, ...]:
        return describe_settings(DropFolderSettings)

    @classmethod
    def from_settings(cls, values: Mapping[str, Any]) -> Self:
        return cls(convert_settings(values, DropFolderSettings))

    async def deliver(self, submission: Submission) -> DeliveryResult:
        return await asyncio.to_thread(self._deliver, submission)

    async def health(self) -> Health:
        return await asyncio.to_thread(self._health)

    async def aclose(self) -> None:
        return None

    def _health(self) -> Health:
        if not self._root.is_dir():
            return Health(ok=False, detail="Verzeichnis fehlt")
        if not os.access(self._root, os.W_OK):
            return Health(ok=False, detail="Verzeichnis nicht beschreibbar")
        free = shutil.disk_usage(self._root).free
        return Health(
            ok=free > self._settings.min_free_bytes, detail=f"{free} Bytes frei"
        )

    def _deliver(self, submission: Submission) -> DeliveryResult:
        size = submission.payload_bytes
        if size > self._settings.max_bytes:
            return Rejected(
                reason=f"Nutzlast {size} Bytes überschreitet die Grenze von "
                f"{self._settings.max_bytes} Bytes."
            )
        if not self._root.is_dir():
            return Deferred(retry_after=300, reason="Ablageverzeichnis fehlt.")
        if shutil.disk_usage(self._root).free - size < self._settings.min_free_bytes:
            return Deferred(retry_after=600, reason="Zu wenig freier Speicher.")
        target = self._root / _folder_name(submission)
        if target.exists():
            return _existing(target, submission)
        staging = self._root / _INCOMING / uuid.uuid4().hex
        try:
            manifest_digest = _write(staging, submission)
            os.rename(staging, target)
        except OSError as exc:
            shutil.rmtree(staging, ignore_errors=True)
            if exc.errno in (errno.EEXIST, errno.ENOTEMPTY):
                return _existing(target, submission)
            return Deferred(
                retry_after=300, reason=f"Schreiben fehlgeschlagen: {exc.strerror}"
            )
        _fsync_dir(self._root)
        log.info(
            "drop folder delivered submission %s as %s",
            submission.submission_id,
            target.name,
        )
        receipt = Receipt(
            reference=target.name,
            received_at=datetime.now(UTC),
            evidence=f"sha256:{manifest_digest}",
        )
        return Delivered(receipt=receipt)


def _folder_name(submission: Submission) -> str:
    prefix = "test-" if submission.test else ""
    return prefix + submission.idempotency_key.replace(":", "_")


def _existing(target: Path, submission: Submission) -> DeliveryResult:
    raw = (target / MANIFEST).read_bytes()
    manifest = msgspec.json.decode(raw, type=Manifest)
    if manifest.submission_id != submission.submission_id:
        return Rejected(
            reason=f"Ordner {target.name} gehört zu einer anderen Einreichung "
            "mit demselben Idempotenzschlüssel."
        )
    receipt = Receipt(
        reference=target.name,
        received_at=manifest.written_at,
        duplicate=True,
        evidence=f"sha256:{hashlib.sha256(raw).hexdigest()}",
    )
    return Delivered(receipt=receipt)


def _write(staging: Path, submission: Submission) -> str:
    staging.mkdir(parents=True)
    files: list[ManifestFile] = []
    for index, document in enumerate(submission.documents, start=1):
        suffix = Path(document.filename).suffix.lower()[:10] or ".bin"
        name = f"{index:03d}_{document.document_id}{suffix}"
        _write_file(staging / name, document.content)
        files.append(
            ManifestFile(
                name=name,
                role="document",
                sha256=document.sha256,
                size=document.size,
                media_type=document.media_type,
                document_id=document.document_id,
                original_filename=document.filename,
            )
        )
    if submission.data is not None:
        data = msgspec.json.encode(submission.data)
        _write_file(staging / "data.json", data)
        files.append(
            ManifestFile(
                name="data.json",
                role="data",
                sha256=hashlib.sha256(data).hexdigest(),
                size=len(data),
                media_type="application/json",
            )
        )
    manifest = Manifest(
        submission_id=submission.submission_id,
        idempotency_key=submission.idempotency_key,
        test=submission.test,
        written_at=datetime.now(UTC),
        metadata=submission.metadata,
        transfer_note=submission.transfer_note,
        files=tuple(files),
    )
    raw = msgspec.json.format(msgspec.json.encode(manifest))
    _write_file(staging / MANIFEST, raw)
    _fsync_dir(staging)
    return hashlib.sha256(raw).hexdigest()


def _write_file(path: Path, content: bytes) -> None:
    with path.open("xb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
