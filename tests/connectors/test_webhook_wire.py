"""The webhook's two body forms: raw document with ``X-Submission``, or JSON."""

from __future__ import annotations

import base64

import httpx
import msgspec
import pytest

from connectors import registry, webhook_wire
from connectors.errors import InvalidSubmission
from connectors.results import Delivered
from connectors.signing import IDEMPOTENCY_HEADER, signed_headers, verify
from connectors.submission import Metadata, Submission
from tests.connectors import samples
from tests.connectors.conftest import WEBHOOK_SECRET, Receiver, webhook_settings

SECRET = WEBHOOK_SECRET.encode()


def _described(wire: webhook_wire.Wire) -> Submission:
    padded = wire.description + "=" * (-len(wire.description) % 4)
    return msgspec.json.decode(base64.urlsafe_b64decode(padded), type=Submission)


def test_one_document_goes_raw_and_round_trips() -> None:
    """GIVEN a submission with one document WHEN encoded THEN the body is the
    document's bytes under its media type, the header holds the rest with the
    content empty, and decoding gives back the same submission."""
    item = samples.submission("w")
    wire = webhook_wire.encode(item)
    assert wire.body == item.documents[0].content
    assert wire.content_type == "application/pdf"
    assert _described(wire).documents[0].content == b""
    assert webhook_wire.decode(wire.description, wire.body) == item


def test_several_documents_or_a_long_description_go_as_json() -> None:
    """GIVEN two documents, or one with data too large for a header WHEN encoded
    THEN the JSON form is used and round-trips."""
    big = msgspec.structs.replace(
        samples.submission("w"), data={"feld": "x" * webhook_wire.DESCRIPTION_LIMIT}
    )
    for item in (samples.submission("w", documents=2), big):
        wire = webhook_wire.encode(item)
        assert (wire.content_type, wire.description) == ("application/json", "")
        assert webhook_wire.decode(None, wire.body) == item


def test_raw_form_refuses_altered_bytes_and_a_stuffed_description() -> None:
    """GIVEN a raw wire WHEN the body changes, or the description carries content
    itself THEN decoding refuses it."""
    item = samples.submission("w")
    wire = webhook_wire.encode(item)
    with pytest.raises(InvalidSubmission, match="SHA-256"):
        webhook_wire.decode(wire.description, wire.body[:-1] + b"X")
    stuffed = base64.urlsafe_b64encode(msgspec.json.encode(item)).decode()
    with pytest.raises(InvalidSubmission, match="passen nicht"):
        webhook_wire.decode(stuffed, wire.body)
    with pytest.raises(InvalidSubmission, match="base64url"):
        webhook_wire.decode("!!", wire.body)


def test_signature_covers_the_description() -> None:
    """GIVEN a signed raw wire WHEN the description is swapped for another
    municipality's THEN the signature no longer verifies."""
    wire = webhook_wire.encode(samples.submission("w"))
    headers = signed_headers(SECRET, wire.body, description=wire.description)
    ts, sig = headers["X-Timestamp"], headers["X-Signature"]
    assert verify(SECRET, ts, sig, wire.body, description=wire.description) is None
    other = _described(wire)
    meta: Metadata = msgspec.structs.replace(other.metadata, ags="09162000")
    swapped = webhook_wire.encode(
        msgspec.structs.replace(
            other,
            metadata=meta,
            documents=(msgspec.structs.replace(other.documents[0], content=wire.body),),
        )
    )
    assert "Signatur" in str(
        verify(SECRET, ts, sig, wire.body, description=swapped.description)
    )


async def test_receiver_takes_both_forms_and_refuses_a_swapped_header(
    webhook_receiver: Receiver,
) -> None:
    """GIVEN the reference webhook receiver WHEN one raw and one JSON submission
    are delivered and a raw one is replayed with another, unsigned description
    THEN both land once (counted) and the forgery is refused with 401."""
    webhook_receiver.faults()
    connector = registry.build("webhook", webhook_settings(webhook_receiver))
    try:
        items = [samples.submission("wire"), samples.submission("wire", documents=2)]
        for item in items:
            assert isinstance(await connector.deliver(item), Delivered)
    finally:
        await connector.aclose()
    keys = {entry["key"] for entry in webhook_receiver.received("wire")}
    assert keys == {item.idempotency_key for item in items}
    forged = samples.submission("forged")
    wire = webhook_wire.encode(forged)
    other = webhook_wire.encode(
        msgspec.structs.replace(
            forged, metadata=msgspec.structs.replace(forged.metadata, ags="09162000")
        )
    )
    headers = {
        "Content-Type": wire.content_type,
        IDEMPOTENCY_HEADER: forged.idempotency_key,
        webhook_wire.SUBMISSION_HEADER: other.description,
        **signed_headers(SECRET, wire.body, description=wire.description),
    }
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.post(
            f"{webhook_receiver.base}/eingang", content=wire.body, headers=headers
        )
    assert answer.status_code == 401, answer.text
    assert webhook_receiver.received("forged") == []
