"""The submission: one online application or one scanned letter, ready to deliver.

Online EfA submissions and scanned mail share this model so that every connector
handles both. Values are frozen msgspec structs; the decoder for client input
forbids unknown fields and checks formats (AGS 8 digits, LeiKa 14 digits, SHA-256
as 64 hex digits). ``verify_documents`` proves that each document's bytes match
its checksum before anything leaves the house.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from msgspec import Meta

from connectors.errors import InvalidSubmission

Ags = Annotated[str, Meta(pattern=r"^\d{8}$")]
Leika = Annotated[str, Meta(pattern=r"^\d{14}$")]
Sha256 = Annotated[str, Meta(pattern=r"^[0-9a-f]{64}$")]
Identifier = Annotated[str, Meta(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{2,127}$")]
Channel = Literal["online", "paper"]
# eIDAS assurance levels of the applicant's identification; "none" for paper mail
# and anonymous forms.
IdentificationLevel = Literal["none", "low", "substantial", "high"]
MediaType = Annotated[str, Meta(pattern=r"^[-\w.]+/[-\w.+]+$")]


class Document(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """One file of a submission (PDF/A for scans and generated forms)."""

    document_id: Identifier
    filename: Annotated[str, Meta(min_length=1, max_length=255)]
    media_type: MediaType = "application/pdf"
    sha256: Sha256
    size: Annotated[int, Meta(ge=0)]
    content: bytes

    @classmethod
    def from_bytes(
        cls, content: bytes, *, filename: str, media_type: str = "application/pdf"
    ) -> Document:
        return cls(
            document_id=str(uuid.uuid4()),
            filename=filename,
            media_type=media_type,
            sha256=hashlib.sha256(content).hexdigest(),
            size=len(content),
            content=content,
        )


class TransferNote(
    msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True
):
    """Transfervermerk of replacing scanning (BSI TR-03138): who, when, how, result."""

    operator: Identifier
    scanned_at: datetime
    device: Annotated[str, Meta(min_length=1, max_length=200)]
    profile: Annotated[str, Meta(min_length=1, max_length=200)]
    quality_check_passed: bool
    anomalies: tuple[str, ...] = ()
    integrity: Literal["normal", "high", "very_high"] = "normal"


class Metadata(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """Where a submission belongs: service, municipality, office, file."""

    leika: Leika
    ags: Ags
    office: Annotated[str, Meta(min_length=1, max_length=200)]
    received_at: datetime
    channel: Channel
    identification_level: IdentificationLevel
    file_reference: Annotated[str, Meta(max_length=200)] | None = None
    subject: Annotated[str, Meta(max_length=500)] = ""


class Submission(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """What a connector delivers. ``idempotency_key`` is what receivers dedup by."""

    submission_id: Identifier
    idempotency_key: Identifier
    test: bool = False
    metadata: Metadata
    data: dict[str, Any] | None = None
    documents: tuple[Document, ...] = ()
    transfer_note: TransferNote | None = None

    @property
    def payload_bytes(self) -> int:
        return sum(document.size for document in self.documents)

    def data_fields(self) -> tuple[str, ...]:
        """Names (never values) of the structured data fields, dotted for nesting."""
        return tuple(sorted(_field_names(self.data or {}, "")))


def _field_names(data: dict[str, Any], prefix: str) -> list[str]:
    names: list[str] = []
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            names.extend(_field_names(value, f"{name}."))
        else:
            names.append(name)
    return names


def verify_documents(submission: Submission) -> None:
    """Raise ``InvalidSubmission`` unless the submission is complete and consistent."""
    meta = submission.metadata
    if meta.channel == "paper" and submission.transfer_note is None:
        raise InvalidSubmission(
            "Gescannte Post braucht einen Transfervermerk (BSI TR-03138)."
        )
    if not submission.documents and submission.data is None:
        raise InvalidSubmission("Die Einreichung enthält weder Daten noch Dokumente.")
    seen: set[str] = set()
    for document in submission.documents:
        if document.document_id in seen:
            raise InvalidSubmission(
                f"Dokument-ID {document.document_id} kommt doppelt vor."
            )
        seen.add(document.document_id)
        if len(document.content) != document.size:
            raise InvalidSubmission(
                f"Dokument {document.document_id}: Größe {len(document.content)} "
                f"statt angegebener {document.size} Bytes."
            )
        if hashlib.sha256(document.content).hexdigest() != document.sha256:
            raise InvalidSubmission(
                f"Dokument {document.document_id}: SHA-256-Prüfsumme stimmt nicht."
            )


_decoder = msgspec.json.Decoder(Submission)


# Form data nests a few levels; deeper input only exhausts recursion downstream.
MAX_DATA_DEPTH = 32


def decode_submission(
    raw: bytes, contents: Sequence[bytes] | None = None
) -> Submission:
    """Decode and verify client input; errors name the offending field.

    ``contents``: the documents' bytes when they travel outside the JSON (the
    webhook's raw form), one per document in order; the JSON then has them empty."""
    try:
        submission = _decoder.decode(raw)
    except msgspec.ValidationError as exc:
        raise InvalidSubmission(f"Ungültige Einreichung: {exc}") from exc
    except msgspec.DecodeError as exc:
        raise InvalidSubmission(f"Kein gültiges JSON: {exc}") from exc
    except RecursionError as exc:
        raise InvalidSubmission(_TOO_DEEP) from exc
    if _depth(submission.data) > MAX_DATA_DEPTH:
        raise InvalidSubmission(_TOO_DEEP)
    if contents is not None:
        submission = _with_contents(submission, contents)
    verify_documents(submission)
    return submission


def _with_contents(submission: Submission, contents: Sequence[bytes]) -> Submission:
    if len(contents) != len(submission.documents) or any(
        document.content for document in submission.documents
    ):
        raise InvalidSubmission(
            "Ungültige Einreichung: Dokumentinhalte passen nicht zur Beschreibung."
        )
    documents = tuple(
        msgspec.structs.replace(document, content=content)
        for document, content in zip(submission.documents, contents, strict=True)
    )
    return msgspec.structs.replace(submission, documents=documents)


_TOO_DEEP = (
    f"Ungültige Einreichung: die Daten sind tiefer als {MAX_DATA_DEPTH} Ebenen "
    "verschachtelt."
)


def _depth(value: Any) -> int:
    """Nesting depth of decoded JSON, without recursion."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level + 1)
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, level + 1) for child in children)
    return deepest


def encode_submission(submission: Submission) -> bytes:
    return msgspec.json.encode(submission)
