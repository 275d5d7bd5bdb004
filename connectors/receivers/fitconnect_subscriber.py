"""The subscriber half of the FIT-Connect receiver: decrypt, check, store, confirm.

For each submitted submission: decrypt the metadata with the destination's
private key and validate it against FITKO's metadata schema 1.0.0 (the file
shipped in the independent ``fitconnect`` package), decrypt the data and every
attachment and compare their SHA-512 with the metadata, deduplicate by the
sender's reference, store the files, and append a PS512-signed
``accept-submission`` (or ``reject-submission`` with the problem) to the case.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from jwcrypto import jwk

from connectors.fitconnect import crypto
from connectors.fitconnect.api import DATA_SCHEMA
from connectors.receivers.fitconnect_store import StoredSubmission, SubmissionStore
from connectors.receivers.inbox import Inbox


class Refusal(ValueError):
    """The submission cannot be accepted; the message goes into the reject event."""


@cache
def metadata_schema() -> dict[str, Any]:
    """FITKO's published metadata schema, as shipped in PyPI ``fitconnect``."""
    spec = importlib.util.find_spec("fitconnect")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "Python package 'fitconnect' (metadata schema) is not installed"
        )
    folder = Path(next(iter(spec.submodule_search_locations)))
    schema: dict[str, Any] = json.loads(
        (folder / "schema" / "metadata.schema.v1.0.0.json").read_text()
    )
    return schema


@cache
def metadata_validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(metadata_schema())


def open_submission(
    key: jwk.JWK, store: SubmissionStore, submission: StoredSubmission
) -> tuple[dict[str, Any], bytes, dict[str, bytes]]:
    """Decrypt and check everything; raise ``Refusal`` with the reason otherwise."""
    try:
        metadata = json.loads(crypto.decrypt(key, submission.encrypted_metadata or ""))
        metadata_validator().validate(metadata)
    except crypto.CryptoError as exc:
        raise Refusal(str(exc)) from None
    except (json.JSONDecodeError, jsonschema.ValidationError) as exc:
        raise Refusal(f"Metadaten ungültig: {str(exc)[:300]}") from None
    structure = metadata["contentStructure"]
    data = b""
    if submission.encrypted_data is not None:
        data = _decrypt(key, submission.encrypted_data)
        expected = structure.get("data", {}).get("hash", {}).get("content")
        if hashlib.sha512(data).hexdigest() != expected:
            raise Refusal(
                "Hashwert der Fachdaten stimmt nicht mit den Metadaten überein."
            )
    hashes = {a["attachmentId"]: a["hash"]["content"] for a in structure["attachments"]}
    files: dict[str, bytes] = {}
    for attachment_id in dict.fromkeys(submission.announced):
        token = store.attachment(submission.submission_id, attachment_id)
        if token is None:
            raise Refusal(f"Anlage {attachment_id} fehlt.")
        content = _decrypt(key, token)
        if hashlib.sha512(content).hexdigest() != hashes.get(attachment_id):
            raise Refusal(f"Hashwert der Anlage {attachment_id} stimmt nicht.")
        files[attachment_id] = content
    return metadata, data, files


def _decrypt(key: jwk.JWK, token: str) -> bytes:
    try:
        return crypto.decrypt(key, token)
    except crypto.CryptoError as exc:
        raise Refusal(str(exc)) from None


def take_in(
    inbox: Inbox,
    folder: Path,
    submission: StoredSubmission,
    metadata: dict[str, Any],
    data: bytes,
    files: dict[str, bytes],
) -> bool:
    """Store once per sender reference; returns whether it was a duplicate."""
    reference = metadata.get("additionalReferenceInfo", {}).get("senderReference")
    key = reference or submission.submission_id
    envelope = _json(data)
    test = (
        bool(envelope.get("test")) if envelope.get("$schema") == DATA_SCHEMA else False
    )
    size = len(data) + sum(len(content) for content in files.values())
    service = submission.service_type.get("identifier", "")
    ack = inbox.accept(
        key, test=test, size=size, summary=f"{service} {len(files)} Anlage(n)"
    )
    if not ack.duplicate:
        target = folder / submission.submission_id
        target.mkdir(parents=True, exist_ok=True)
        (target / "fachdaten.json").write_bytes(data)
        for attachment_id, content in files.items():
            (target / attachment_id).write_bytes(content)
    return ack.duplicate


def _json(data: bytes) -> dict[str, Any]:
    try:
        value = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return {}
    return value if isinstance(value, dict) else {}


def event_for(
    signing_key: jwk.JWK, submission: StoredSubmission, refusal: str | None
) -> str:
    if refusal is None:
        event, payload = crypto.ACCEPT, {}
    else:
        problem = {
            "type": "urn:efa-stack:problem:rejected",
            "title": "Einreichung abgelehnt",
            "detail": refusal,
        }
        event, payload = crypto.REJECT, {"problems": [problem]}
    return crypto.sign_event(
        signing_key,
        issuer=submission.destination_id,
        submission_id=submission.submission_id,
        case_id=submission.case_id,
        event=event,
        payload=payload,
    )
