"""Plain sequential HTTP loops that make each reference receiver do its full work.

The baseline of ``benchmarks/delivery.py`` next to the ``/_sink`` loop: the
simplest possible sender, one request after the other with a plain
``httpx.AsyncClient``, sending exactly what the connector would send (a distinct
idempotency key each time, so the receiver stores every one). What a sender must
compute before the request (JSON with base64, HMAC, the xdomea zip, JWE
encryption) is prepared outside the timed part; what the receiver does (decode,
verify, decrypt, store, sign a confirmation) is inside it. Against this loop the
engine's ratio shows what the engine and the connector add, not the receiver.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import msgspec

from connectors import webhook_wire
from connectors.fitconnect import api, crypto
from connectors.fitconnect.metadata import (
    attachment_id,
    data_document,
    metadata_document,
)
from connectors.signing import IDEMPOTENCY_HEADER, TEST_HEADER, signed_headers
from connectors.submission import Submission
from connectors.xdomea.connector import FILENAME_HEADER
from connectors.xdomea.message import build_abgabe
from tests.connectors import samples

WHAT = {
    "fitconnect": "announce, PUT of the JWE attachment, PUT of JWE metadata and "
    "data, event log polled every 5 ms until the signed confirmation (encryption "
    "untimed)",
    "xdomea": "POST of the ready 0401 zip to /xdomea/nachrichten (zip untimed)",
    "webhook": "POST of the ready signed raw document with X-Submission to /eingang"
    " (encoding + HMAC untimed)",
}


async def same_work(
    kind: str, settings: dict[str, Any], count: int, size: int
) -> float:
    """Seconds of the timed requests for ``count`` submissions of ``size`` bytes."""
    loop = {"fitconnect": _fitconnect, "xdomea": _xdomea, "webhook": _webhook}[kind]
    async with httpx.AsyncClient(timeout=60) as client:
        took = 0.0
        for _ in range(count):
            took += await loop(client, settings, samples.submission("plain", size=size))
        return took


async def _webhook(
    client: httpx.AsyncClient, settings: dict[str, Any], item: Submission
) -> float:
    wire = webhook_wire.encode(item)
    headers = {
        "Content-Type": wire.content_type,
        IDEMPOTENCY_HEADER: item.idempotency_key,
        TEST_HEADER: "0",
        webhook_wire.SUBMISSION_HEADER: wire.description,
        **signed_headers(
            settings["secret"].encode(), wire.body, description=wire.description
        ),
    }
    start = time.perf_counter()
    response = await client.post(settings["url"], content=wire.body, headers=headers)
    response.raise_for_status()
    return time.perf_counter() - start


async def _xdomea(
    client: httpx.AsyncClient, settings: dict[str, Any], item: Submission
) -> float:
    packed = build_abgabe(item)
    headers = {
        "Content-Type": "application/zip",
        FILENAME_HEADER: packed.filename,
        IDEMPOTENCY_HEADER: item.idempotency_key,
        TEST_HEADER: "0",
    }
    start = time.perf_counter()
    response = await client.post(
        settings["url"], content=packed.content, headers=headers
    )
    response.raise_for_status()
    return time.perf_counter() - start


async def _fitconnect(
    client: httpx.AsyncClient, settings: dict[str, Any], item: Submission
) -> float:
    api_url = settings["api_url"]
    auth = {"Authorization": f"Bearer {await _token(client, settings)}"}
    if api_url not in _KEYS:
        _KEYS[api_url] = await _key(client, api_url, settings["destination_id"], auth)
    key = _KEYS[api_url]
    document = item.documents[0]
    attachment = crypto.encrypt(key, document.content, document.media_type)
    data = data_document(item)
    metadata = msgspec.json.encode(metadata_document(item, data))
    submit = msgspec.json.encode(
        api.SubmitSubmission(
            encrypted_metadata=crypto.encrypt(key, metadata, "application/json"),
            encrypted_data=crypto.encrypt(key, data, "application/json"),
        )
    )
    announce = api.CreateSubmission(
        destination_id=settings["destination_id"],
        announced_attachments=[attachment_id(item, document.document_id)],
        service_type=api.ServiceType(identifier=api.LEIKA_URN + item.metadata.leika),
    )
    start = time.perf_counter()
    response = await client.post(
        f"{api_url}/submissions",
        content=msgspec.json.encode(announce),
        headers=auth | {"Content-Type": "application/json"},
    )
    created = msgspec.json.decode(response.content, type=api.SubmissionCreated)
    path = f"{api_url}/submissions/{created.submission_id}"
    aid = attachment_id(item, document.document_id)
    response = await client.put(
        f"{path}/attachments/{aid}", content=attachment, headers=auth
    )
    response.raise_for_status()
    response = await client.put(path, content=submit, headers=auth)
    response.raise_for_status()
    while True:
        response = await client.get(
            f"{api_url}/cases/{created.case_id}/events", headers=auth
        )
        if msgspec.json.decode(response.content, type=api.EventLog).event_log:
            return time.perf_counter() - start
        await asyncio.sleep(0.005)


_TOKENS: dict[str, str] = {}
_KEYS: dict[str, Any] = {}


async def _token(client: httpx.AsyncClient, settings: dict[str, Any]) -> str:
    if settings["token_url"] not in _TOKENS:
        form = {
            "grant_type": "client_credentials",
            "client_id": settings["client_id"],
            "client_secret": settings["client_secret"],
        }
        response = await client.post(settings["token_url"], data=form)
        token = msgspec.json.decode(response.content, type=api.Token).access_token
        _TOKENS[settings["token_url"]] = token
    return _TOKENS[settings["token_url"]]


async def _key(
    client: httpx.AsyncClient, api_url: str, destination: str, auth: dict[str, str]
) -> Any:
    response = await client.get(f"{api_url}/destinations/{destination}", headers=auth)
    kid = msgspec.json.decode(response.content, type=api.Destination).encryption_kid
    response = await client.get(
        f"{api_url}/destinations/{destination}/keys/{kid}", headers=auth
    )
    return crypto.check_key(response.json(), "enc")
