"""Wire types of the FIT-Connect Submission API (the subset this project uses)."""

from __future__ import annotations

import msgspec

PROBLEM_PREFIX = "https://schema.fitko.de/fit-connect/submission-api/problems/"
METADATA_SCHEMA = (
    "https://schema.fitko.de/fit-connect/metadata/1.0.0/metadata.schema.json"
)
DATA_SCHEMA = "urn:efa-stack:schema:einreichung:1.0"
LEIKA_URN = "urn:de:fim:leika:leistung:"


class Token(msgspec.Struct, kw_only=True, frozen=True):
    access_token: str
    token_type: str = "Bearer"  # noqa: S105 - the OAuth token type, not a secret
    expires_in: int = 1800


class Destination(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    destination_id: str
    status: str
    encryption_kid: str


class ServiceType(msgspec.Struct, kw_only=True, frozen=True):
    identifier: str
    name: str = ""


class CreateSubmission(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    destination_id: str
    announced_attachments: list[str]
    service_type: ServiceType


class SubmissionCreated(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    destination_id: str
    submission_id: str
    case_id: str
    # Present when an Idempotency-Key matched an earlier announcement.
    status: str = "incomplete"


class SubmitSubmission(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    encrypted_metadata: str
    encrypted_data: str | None = None


class EventLog(msgspec.Struct, kw_only=True, frozen=True, rename="camel"):
    event_log: list[str]
