"""The two body forms of a webhook push, shared by the connector and the receiver.

* **Raw form** (a submission with exactly one document whose description fits
  ``DESCRIPTION_LIMIT``): the body is the document's bytes as they are, with the
  document's media type as ``Content-Type``; the submission itself (metadata,
  data, transfer note, the document's id, name, type, size and SHA-256, its
  ``content`` empty) travels as base64url JSON in ``X-Submission``. No base64
  of the document, a third fewer bytes on the wire and nothing to decode.
* **JSON form** (anything else): the whole submission as JSON, documents base64.

Both are signed (``connectors.signing``); in the raw form the signature covers
the ``X-Submission`` value as well, so neither part can be swapped.
"""

from __future__ import annotations

import base64
import binascii

import msgspec

from connectors.errors import InvalidSubmission
from connectors.submission import Submission, decode_submission, encode_submission

SUBMISSION_HEADER = "X-Submission"
JSON = "application/json"
# Header blocks beyond ~16 KiB are refused by common HTTP servers.
DESCRIPTION_LIMIT = 8 * 1024


class Wire(msgspec.Struct, kw_only=True, frozen=True):
    content_type: str
    description: str  # the X-Submission value; empty in the JSON form
    body: bytes


def encode(submission: Submission) -> Wire:
    """The raw form where it applies, else the JSON form."""
    if len(submission.documents) == 1:
        document = submission.documents[0]
        described = msgspec.structs.replace(
            submission, documents=(msgspec.structs.replace(document, content=b""),)
        )
        raw = base64.urlsafe_b64encode(encode_submission(described))
        description = raw.rstrip(b"=").decode("ascii")
        if len(description) <= DESCRIPTION_LIMIT:
            return Wire(
                content_type=document.media_type,
                description=description,
                body=document.content,
            )
    return Wire(content_type=JSON, description="", body=encode_submission(submission))


def decode(description: str | None, body: bytes) -> Submission:
    """Receiver side: the verified submission from either form."""
    if not description:
        return decode_submission(body)
    if len(description) > DESCRIPTION_LIMIT:
        raise InvalidSubmission(f"{SUBMISSION_HEADER} ist zu lang.")
    try:
        padded = description + "=" * (-len(description) % 4)
        raw = base64.b64decode(padded, altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSubmission(f"{SUBMISSION_HEADER} ist kein base64url.") from None
    return decode_submission(raw, contents=(body,))
