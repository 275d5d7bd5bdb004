"""Metadata and data documents of a FIT-Connect submission.

The metadata validates against FITKO's metadata schema 1.0.0; the structured data
("Fachdaten") is this project's envelope, named by ``DATA_SCHEMA``, carrying the
submission's own metadata, its test flag, the transfer note of scanned mail and
the mapping from attachment IDs to documents.
"""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import msgspec

from connectors.fitconnect.api import DATA_SCHEMA, LEIKA_URN, METADATA_SCHEMA
from connectors.submission import Submission

_NAMESPACE = uuid.UUID("0f7d7a52-3c1b-4a44-8b8e-8e1d3a1f2c55")


def attachment_id(submission: Submission, document_id: str) -> str:
    """Stable attachment UUIDs, so a retried announcement is identical."""
    return str(uuid.uuid5(_NAMESPACE, f"{submission.idempotency_key}/{document_id}"))


def data_document(submission: Submission) -> bytes:
    envelope: dict[str, Any] = {
        "$schema": DATA_SCHEMA,
        "submissionId": submission.submission_id,
        "idempotencyKey": submission.idempotency_key,
        "test": submission.test,
        "metadata": msgspec.to_builtins(submission.metadata),
        "data": submission.data,
        "transferNote": msgspec.to_builtins(submission.transfer_note),
        "documents": [
            {
                "attachmentId": attachment_id(submission, document.document_id),
                "documentId": document.document_id,
                "filename": document.filename,
                "sha256": document.sha256,
            }
            for document in submission.documents
        ],
    }
    return msgspec.json.encode(envelope)


def metadata_document(submission: Submission, data: bytes) -> dict[str, Any]:
    attachments = [
        {
            "attachmentId": attachment_id(submission, document.document_id),
            "hash": {
                "type": "sha512",
                "content": hashlib.sha512(document.content).hexdigest(),
            },
            "purpose": "attachment",
            "filename": document.filename,
            "mimeType": document.media_type,
        }
        for document in submission.documents
    ]
    return {
        "$schema": METADATA_SCHEMA,
        "publicServiceType": {"identifier": LEIKA_URN + submission.metadata.leika},
        "contentStructure": {
            "data": {
                "hash": {"type": "sha512", "content": hashlib.sha512(data).hexdigest()},
                "submissionSchema": {
                    "schemaUri": DATA_SCHEMA,
                    "mimeType": "application/json",
                },
            },
            "attachments": attachments,
        },
        "additionalReferenceInfo": {
            "senderReference": submission.idempotency_key,
            "applicationDate": submission.metadata.received_at.date().isoformat(),
        },
    }
