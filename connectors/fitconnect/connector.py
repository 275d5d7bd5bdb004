"""The FIT-Connect sender: announce, upload encrypted attachments, submit, await.

Flow per delivery: OAuth client-credentials token; the destination and its
encryption key (refused unless RSA >= 4096 bit, ``wrapKey``, RSA-OAEP-256);
``POST /submissions`` with the idempotency key (a retry gets the same submission
back); ``PUT`` each attachment as JWE; ``PUT`` the encrypted metadata and data;
then the case's event log is polled (paced by ``pacing.Pacer``) for a
PS512-signed ``accept-submission`` or ``reject-submission`` from the
destination. Checked key documents are kept by ``kid``; the destination's
current ``encryptionKid`` is read on every delivery. No confirmation within
``confirm_timeout`` leaves the delivery ``Deferred``; the next attempt resumes
at the polling step.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Self, TypeVar

import httpx
import msgspec
from jwcrypto import jwk
from msgspec import Meta

from connectors import http
from connectors.base import convert_settings, describe_settings
from connectors.fitconnect import api, crypto
from connectors.fitconnect.metadata import (
    attachment_id,
    data_document,
    metadata_document,
)
from connectors.fitconnect.pacing import Pacer
from connectors.results import (
    Deferred,
    Delivered,
    DeliveryResult,
    Health,
    Receipt,
    Rejected,
    SettingSpec,
)
from connectors.signing import IDEMPOTENCY_HEADER
from connectors.submission import Submission

T = TypeVar("T")
log = logging.getLogger(__name__)
WHAT = "FIT-Connect"


class FitConnectSettings(
    msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True
):
    api_url: Annotated[
        str,
        Meta(
            pattern=r"^https?://",
            description="Basisadresse der Submission API",
            examples=["https://submission-api-testing.fit-connect.fitko.dev/v1"],
        ),
    ]
    token_url: Annotated[
        str, Meta(pattern=r"^https?://", description="OAuth-Token-Adresse")
    ]
    client_id: Annotated[
        str, Meta(min_length=1, description="OAuth-Client-ID des Senders")
    ]
    client_secret: Annotated[str, Meta(min_length=1, description="OAuth-Client-Secret")]
    destination_id: Annotated[
        str, Meta(min_length=1, description="ID des Zustellpunkts")
    ]
    timeout: Annotated[
        float, Meta(gt=0, le=300, description="Zeitlimit je Anfrage in Sekunden")
    ] = 30.0
    confirm_timeout: Annotated[
        float,
        Meta(
            ge=0,
            le=600,
            description="Wie lange auf die Eingangsbestätigung gewartet wird",
        ),
    ] = 10.0
    poll_interval: Annotated[
        float, Meta(gt=0, le=60, description="Abstand der Abfragen")
    ] = 0.2
    max_bytes: Annotated[
        int, Meta(gt=0, description="Größte Anlagensumme in Bytes")
    ] = 100 * 1024 * 1024


class _Refused(Exception):
    """Internal: a step ended the delivery with ``result``."""

    def __init__(self, result: Deferred | Rejected) -> None:
        super().__init__(result.reason)
        self.result = result


class FitConnectConnector:
    kind: ClassVar[str] = "fitconnect"

    def __init__(self, settings: FitConnectSettings) -> None:
        self._settings = settings
        self._client = httpx.AsyncClient(timeout=settings.timeout)
        self._token: str | None = None
        self._token_expires = 0.0
        self._verify_keys: dict[str, jwk.JWK] = {}
        # Checked encryption keys by kid: the destination is asked for its current
        # kid on every delivery, the key document only for a kid not seen before.
        self._encryption_keys: dict[str, jwk.JWK] = {}
        self._pacer = Pacer(settings.poll_interval)

    @classmethod
    def settings(cls) -> tuple[SettingSpec, ...]:
        return describe_settings(FitConnectSettings)

    @classmethod
    def from_settings(cls, values: Mapping[str, Any]) -> Self:
        return cls(convert_settings(values, FitConnectSettings))

    async def deliver(self, submission: Submission) -> DeliveryResult:
        if submission.payload_bytes > self._settings.max_bytes:
            return Rejected(
                reason=f"Anlagen {submission.payload_bytes} Bytes überschreiten die "
                f"Grenze von {self._settings.max_bytes} Bytes."
            )
        try:
            return await self._deliver(submission)
        except _Refused as refused:
            return refused.result
        except httpx.HTTPError as exc:
            return http.transport_failure(exc, WHAT)

    async def _deliver(self, submission: Submission) -> DeliveryResult:
        key = await self._encryption_key()
        created = await self._announce(submission)
        duplicate = created.status != "incomplete"
        if not duplicate:
            await self._upload(submission, created, key)
        return await self._await_confirmation(created, duplicate)

    async def _call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """An authorised API call; an expired token is renewed once."""
        url = self._settings.api_url.rstrip("/") + path
        extra = kwargs.pop("headers", {})
        for _ in range(2):
            token = await self._access_token()
            headers = {"Authorization": f"Bearer {token}", **extra}
            response = await self._client.request(
                method, url, headers=headers, **kwargs
            )
            if response.status_code != 401:
                break
            self._token = None
        return response

    def _decode(
        self, response: httpx.Response, into: type[T], ok: tuple[int, ...]
    ) -> T:
        if response.status_code not in ok:
            raise _Refused(http.refusal(response, WHAT))
        try:
            return msgspec.json.decode(response.content, type=into)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise _Refused(http.garbage(WHAT, type(exc).__name__)) from None

    async def _access_token(self) -> str:
        if self._token is not None and time.monotonic() < self._token_expires:
            return self._token
        response = await self._client.post(
            self._settings.token_url,
            data={
                "grant_type": "client_credentials",
                "client_id": self._settings.client_id,
                "client_secret": self._settings.client_secret,
            },
        )
        token = self._decode(response, api.Token, (200,))
        self._token = token.access_token
        self._token_expires = time.monotonic() + max(0, token.expires_in - 30)
        return token.access_token

    async def _key(self, kid: str, use: str) -> jwk.JWK:
        destination = self._settings.destination_id
        response = await self._call("GET", f"/destinations/{destination}/keys/{kid}")
        document = self._decode(response, dict[str, Any], (200,))
        try:
            return crypto.check_key(document, use)
        except crypto.UnusableKey as exc:
            raise _Refused(
                Rejected(
                    reason=f"{WHAT}: Schlüssel des Zustellpunkts ungeeignet: {exc}"
                )
            ) from None

    async def _encryption_key(self) -> jwk.JWK:
        response = await self._call(
            "GET", f"/destinations/{self._settings.destination_id}"
        )
        destination = self._decode(response, api.Destination, (200,))
        if destination.status != "active":
            raise _Refused(
                Deferred(
                    retry_after=300, reason=f"{WHAT}: Zustellpunkt ist nicht aktiv."
                )
            )
        kid = destination.encryption_kid
        known = self._encryption_keys.get(kid)
        if known is None:
            known = await self._key(kid, "enc")
            self._encryption_keys[kid] = known
        return known

    async def _announce(self, submission: Submission) -> api.SubmissionCreated:
        request = api.CreateSubmission(
            destination_id=self._settings.destination_id,
            announced_attachments=[
                attachment_id(submission, d.document_id) for d in submission.documents
            ],
            service_type=api.ServiceType(
                identifier=api.LEIKA_URN + submission.metadata.leika
            ),
        )
        response = await self._call(
            "POST",
            "/submissions",
            content=msgspec.json.encode(request),
            headers={
                "Content-Type": "application/json",
                IDEMPOTENCY_HEADER: submission.idempotency_key,
            },
        )
        return self._decode(response, api.SubmissionCreated, (200, 201))

    async def _upload(
        self, submission: Submission, created: api.SubmissionCreated, key: jwk.JWK
    ) -> None:
        path = f"/submissions/{created.submission_id}"
        for document in submission.documents:
            token = await asyncio.to_thread(
                crypto.encrypt, key, document.content, document.media_type
            )
            aid = attachment_id(submission, document.document_id)
            response = await self._call(
                "PUT",
                f"{path}/attachments/{aid}",
                content=token,
                headers={"Content-Type": "application/jose"},
            )
            if response.status_code != 204:
                raise _Refused(http.refusal(response, WHAT))
        body = await asyncio.to_thread(_sealed, key, submission)
        response = await self._call(
            "PUT",
            path,
            content=msgspec.json.encode(body),
            headers={"Content-Type": "application/json"},
        )
        if response.status_code not in (200, 202):
            raise _Refused(http.refusal(response, WHAT))

    async def _await_confirmation(
        self, created: api.SubmissionCreated, duplicate: bool
    ) -> DeliveryResult:
        started = time.monotonic()
        deadline = started + self._settings.confirm_timeout
        for pause in self._pacer.waits(fresh=not duplicate):
            await asyncio.sleep(pause)
            response = await self._call("GET", f"/cases/{created.case_id}/events")
            events = self._decode(response, api.EventLog, (200,))
            for token in events.event_log:
                result = await self._read_event(token, created, duplicate)
                if result is not None:
                    if not duplicate:
                        self._pacer.confirmed_after(time.monotonic() - started)
                    return result
            if time.monotonic() >= deadline:
                break
        return Deferred(
            retry_after=60,
            reason=f"{WHAT}: Eingangsbestätigung des Empfängers steht noch aus.",
        )

    async def _read_event(
        self, token: str, created: api.SubmissionCreated, duplicate: bool
    ) -> DeliveryResult | None:
        try:
            kid = crypto.event_kid(token)
            key = self._verify_keys.get(kid) or await self._key(kid, "sig")
            claims = crypto.verify_event(key, token)
        except crypto.CryptoError as exc:
            return Rejected(reason=f"{WHAT}: {exc}")
        self._verify_keys[kid] = key
        if (
            claims.get("sub") != f"submission:{created.submission_id}"
            or claims.get("iss") != created.destination_id
        ):
            return None
        events = claims.get("events", {})
        if crypto.REJECT in events:
            problems = events[crypto.REJECT].get("problems", [])
            reason = (
                "; ".join(str(p.get("detail") or p.get("title")) for p in problems)
                or "ohne Begründung"
            )
            return Rejected(reason=f"{WHAT}: Empfänger hat abgelehnt: {reason}")
        if crypto.ACCEPT in events:
            log.info("fitconnect delivered submission %s", created.submission_id)
            receipt = Receipt(
                reference=created.submission_id,
                received_at=datetime.fromtimestamp(int(claims.get("iat", 0)), UTC),
                duplicate=duplicate,
                evidence=token,
            )
            return Delivered(receipt=receipt)
        return None

    async def health(self) -> Health:
        try:
            response = await self._call(
                "GET", f"/destinations/{self._settings.destination_id}"
            )
        except httpx.HTTPError as exc:
            return Health(ok=False, detail=f"nicht erreichbar: {type(exc).__name__}")
        except _Refused as refused:
            return Health(ok=False, detail=refused.result.reason)
        return Health(
            ok=response.status_code == 200, detail=f"HTTP {response.status_code}"
        )

    async def aclose(self) -> None:
        await self._client.aclose()


def _sealed(key: jwk.JWK, submission: Submission) -> api.SubmitSubmission:
    """Metadata (with a SHA-512 of every document) and data, encrypted; run in a
    thread because hashing large documents would stall the event loop."""
    data = data_document(submission)
    metadata = msgspec.json.encode(metadata_document(submission, data))
    return api.SubmitSubmission(
        encrypted_metadata=crypto.encrypt(key, metadata, "application/json"),
        encrypted_data=crypto.encrypt(key, data, "application/json"),
    )
