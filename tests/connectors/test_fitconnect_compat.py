"""FIT-Connect compatibility against an implementation not written here.

The independent peer is PyPI ``fitconnect`` 0.4.2 (FITKO's early Python SDK,
jwcrypto-based), pointed at the loopback reference receiver through its
``_ENVIRONMENT_CONFIG`` table. Direction 1: our connector sends, the SDK
retrieves as subscriber (decrypts with the destination key, validates the
metadata against FITKO's schema, checks every hash). Direction 2: the SDK sends,
our receiver's subscriber takes it in and confirms with a signed event.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest

from connectors import registry
from connectors.fitconnect import crypto
from connectors.fitconnect.api import DATA_SCHEMA
from connectors.fitconnect.metadata import data_document, metadata_document
from connectors.receivers.fitconnect_subscriber import metadata_schema
from connectors.results import Deferred, Delivered
from tests.connectors import samples
from tests.connectors.conftest import (
    DESTINATION,
    FIT_SECRET,
    Receiver,
    fitconnect_settings,
)

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # the SDK's module has old-style regex escapes
    import fitconnect
    from fitconnect import fitconnect as sdk


@pytest.fixture(scope="module")
def external(receivers_dir: Any) -> Iterator[Receiver]:
    """A receiver whose subscriber is the test (``--external-subscriber``)."""
    extra = [
        "--client-secret",
        FIT_SECRET,
        "--destination-id",
        DESTINATION,
        "--external-subscriber",
    ]
    receiver = Receiver("fitconnect", receivers_dir / "fitconnect-external", extra)
    receiver.start()
    yield receiver
    receiver.stop()


def _sdk_client(monkeypatch: pytest.MonkeyPatch, receiver: Receiver) -> Any:
    config = {
        "TOKEN_URL": f"{receiver.base}/token",
        "SUBMISSION_API_URL": f"{receiver.base}/v1",
    }
    monkeypatch.setitem(sdk._ENVIRONMENT_CONFIG, fitconnect.Environment.TESTING, config)
    return fitconnect.FITConnectClient(
        fitconnect.Environment.TESTING, "efa-marktplatz", FIT_SECRET
    )


def _keys(receiver: Receiver) -> dict[str, Any]:
    keys: dict[str, Any] = json.loads((receiver.data / "keys.json").read_text())
    return keys


def test_metadata_validates_against_fitkos_published_schema() -> None:
    """GIVEN online and scanned submissions WHEN their metadata is built
    THEN it validates against metadata.schema.v1.0.0.json as shipped by the SDK."""
    for channel in ("online", "paper"):
        item = samples.submission("m", channel=channel, documents=2)
        metadata = metadata_document(item, data_document(item))
        jsonschema.Draft202012Validator(metadata_schema()).validate(metadata)
    broken = metadata_document(item, data_document(item)) | {"contentStructure": {}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, metadata_schema())


async def test_sdk_subscriber_retrieves_what_our_connector_sent(
    external: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN our connector and a destination whose subscriber is the FITKO SDK
    WHEN a scanned submission with two documents is sent
    THEN it stays Deferred until confirmed; the SDK decrypts it with the
    destination's private key, its schema and hash checks pass, data and files
    are identical; after the subscriber's signed accept the resend is Delivered."""
    connector = registry.build(
        "fitconnect", fitconnect_settings(external, confirm_timeout=0.3)
    )
    item = samples.submission("compat", channel="paper", documents=2)
    pending = await connector.deliver(item)
    assert isinstance(pending, Deferred), pending

    client = _sdk_client(monkeypatch, external)
    available = [s["submissionId"] for s in client.available_submissions()]
    assert len(available) == 1
    retrieved = client.retrieve_submission(available[0], _keys(external)["encryption"])
    assert retrieved["data_json"]["$schema"] == DATA_SCHEMA
    assert retrieved["data_json"]["idempotencyKey"] == item.idempotency_key
    assert (
        retrieved["metadata"]["additionalReferenceInfo"]["senderReference"]
        == item.idempotency_key
    )
    sent = {d.sha256 for d in item.documents}
    got = {
        hashlib.sha256(content).hexdigest()
        for content in retrieved["attachments"].values()
    }
    assert got == sent

    signing = crypto.jwk.JWK(**_keys(external)["signing"])
    event = crypto.sign_event(
        signing,
        issuer=DESTINATION,
        submission_id=retrieved["submissionId"],
        case_id=retrieved["caseId"],
        event=crypto.ACCEPT,
        payload={},
    )
    async with httpx.AsyncClient(base_url=external.base) as http:
        login = {"client_id": "efa-marktplatz", "client_secret": FIT_SECRET}
        token = (await http.post("/token", data=login)).json()["access_token"]
        answer = await http.post(
            f"/v1/cases/{retrieved['caseId']}/events",
            content=event,
            headers={
                "Authorization": f"Bearer {token}",
                "Content-Type": "application/jose",
            },
        )
    assert answer.status_code == 204
    confirmed = await connector.deliver(item)
    await connector.aclose()
    assert isinstance(confirmed, Delivered), confirmed
    assert confirmed.receipt.reference == retrieved["submissionId"]
    assert client.available_submissions() == []


def test_our_receiver_accepts_what_the_sdk_sent(
    fitconnect_receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    """GIVEN the FITKO SDK as sender and our receiver with its own subscriber
    WHEN the SDK sends a submission with one PDF attachment
    THEN the receiver stores it once and the case's event log holds an
    accept-submission signed PS512 by the destination's published key."""
    fitconnect_receiver.faults()
    client = _sdk_client(monkeypatch, fitconnect_receiver)
    data = {"$schema": "urn:example:schema:antrag:1.0", "antrag": str(uuid.uuid4())}
    pdf = samples.fake_pdf(4000, "sdk")
    result = client.submission(
        DESTINATION,
        "urn:de:fim:leika:leistung:99050012104000",
        data=data,
        attachments=[pdf],
    )
    submission_id = result["submissionId"]
    case_id = result["caseId"]
    token = client._get_access_token("efa-marktplatz", FIT_SECRET)
    headers = {"Authorization": f"Bearer {token}"}
    deadline = time.monotonic() + 10
    events: list[str] = []
    while not events and time.monotonic() < deadline:
        events = httpx.get(
            f"{fitconnect_receiver.base}/v1/cases/{case_id}/events", headers=headers
        ).json()["eventLog"]
        time.sleep(0.05)
    assert len(events) == 1
    kid = crypto.event_kid(events[0])
    published = httpx.get(
        f"{fitconnect_receiver.base}/v1/destinations/{DESTINATION}/keys/{kid}",
        headers=headers,
    ).json()
    claims = crypto.verify_event(crypto.check_key(published, "sig"), events[0])
    assert crypto.ACCEPT in claims["events"]
    assert claims["sub"] == f"submission:{submission_id}"
    assert [row["key"] for row in fitconnect_receiver.received(submission_id)] == [
        submission_id
    ]
    stored = fitconnect_receiver.data / "faelle" / submission_id
    assert json.loads((stored / "fachdaten.json").read_text()) == data
    assert pdf in [p.read_bytes() for p in stored.iterdir()]


def test_small_or_misused_keys_are_refused() -> None:
    """GIVEN a 2048-bit key, a signing key offered for encryption and a wrong alg
    WHEN checked for use THEN each is refused with a reason."""
    small = json.loads(crypto.jwk.JWK.generate(kty="RSA", size=2048).export_public())
    with pytest.raises(crypto.UnusableKey, match="4096"):
        crypto.check_key(small | {"key_ops": ["wrapKey"], "alg": "RSA-OAEP-256"}, "enc")
    big = crypto.public_jwk(crypto.generate_key(), "sig")
    with pytest.raises(crypto.UnusableKey, match="wrapKey"):
        crypto.check_key(big, "enc")
    with pytest.raises(crypto.UnusableKey, match="PS512"):
        crypto.check_key(big | {"alg": "RS256"}, "sig")
