"""Webhook: HTTPS POST of the submission, signed with an HMAC.

For Fachverfahren that accept a push. A submission with one document goes raw
(the document as body, the submission in ``X-Submission``), anything else as
JSON (``connectors.webhook_wire``). Headers: ``X-Timestamp`` and
``X-Signature`` (see ``connectors.signing``), ``Idempotency-Key`` and
``X-Test-Submission``. The receiver answers 200/201 with an ``Ack``; a repeated
key answers the first ``Ack`` again with ``duplicate`` set.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Annotated, Any, ClassVar, Self

import httpx
import msgspec
from msgspec import Meta

from connectors import http, webhook_wire
from connectors.base import convert_settings, describe_settings
from connectors.results import (
    Delivered,
    DeliveryResult,
    Health,
    Receipt,
    Rejected,
    SettingSpec,
)
from connectors.signing import (
    IDEMPOTENCY_HEADER,
    REPLAY_WINDOW,
    TEST_HEADER,
    signed_headers,
)
from connectors.submission import Submission

log = logging.getLogger(__name__)


class Ack(msgspec.Struct, kw_only=True, frozen=True):
    """A receiver's answer to an accepted push."""

    reference: str
    received_at: datetime
    duplicate: bool = False


class WebhookSettings(
    msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True
):
    url: Annotated[
        str,
        Meta(
            pattern=r"^https?://",
            description="Adresse, an die die Einreichung gesendet wird",
            examples=["https://fachverfahren.example/eingang"],
        ),
    ]
    secret: Annotated[
        str, Meta(min_length=16, description="Gemeinsamer HMAC-Schlüssel")
    ]
    timeout: Annotated[
        float, Meta(gt=0, le=300, description="Zeitlimit je Anfrage in Sekunden")
    ] = 30.0
    max_bytes: Annotated[
        int, Meta(gt=0, description="Größte Nutzlast, die der Empfänger annimmt")
    ] = 100 * 1024 * 1024
    health_url: Annotated[
        str, Meta(description="Optionale Adresse für die Erreichbarkeitsprüfung")
    ] = ""


class WebhookConnector:
    kind: ClassVar[str] = "webhook"

    def __init__(
        self, settings: WebhookSettings, *, clock: Callable[[], float] = time.time
    ) -> None:
        self._settings = settings
        self._clock = clock
        self._secret = settings.secret.encode()
        self._client = httpx.AsyncClient(timeout=settings.timeout)

    @classmethod
    def settings(cls) -> tuple[SettingSpec, ...]:
        return describe_settings(WebhookSettings)

    @classmethod
    def from_settings(cls, values: Mapping[str, Any]) -> Self:
        return cls(convert_settings(values, WebhookSettings))

    async def deliver(self, submission: Submission) -> DeliveryResult:
        wire = webhook_wire.encode(submission)
        if len(wire.body) > self._settings.max_bytes:
            return Rejected(
                reason=f"Nutzlast {len(wire.body)} Bytes überschreitet die Grenze des "
                f"Empfängers von {self._settings.max_bytes} Bytes."
            )
        now = self._clock()
        signature = signed_headers(
            self._secret, wire.body, now, description=wire.description
        )
        headers = {
            "Content-Type": wire.content_type,
            IDEMPOTENCY_HEADER: submission.idempotency_key,
            TEST_HEADER: "1" if submission.test else "0",
            **signature,
        }
        if wire.description:
            headers[webhook_wire.SUBMISSION_HEADER] = wire.description
        try:
            response = await self._client.post(
                self._settings.url, content=wire.body, headers=headers
            )
        except httpx.HTTPError as exc:
            return http.transport_failure(exc, "Webhook")
        if response.status_code not in (200, 201):
            skewed = http.clock_refusal(
                response, "Webhook", sent_at=now, window=REPLAY_WINDOW
            )
            return skewed or http.refusal(response, "Webhook")
        try:
            ack = msgspec.json.decode(response.content, type=Ack)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return http.garbage("Webhook", type(exc).__name__)
        log.info(
            "webhook delivered submission %s as %s (duplicate=%s)",
            submission.submission_id,
            ack.reference,
            ack.duplicate,
        )
        receipt = Receipt(
            reference=ack.reference,
            received_at=ack.received_at,
            duplicate=ack.duplicate,
            evidence=response.text[:2000],
        )
        return Delivered(receipt=receipt)

    async def health(self) -> Health:
        url = self._settings.health_url or self._settings.url
        try:
            response = await self._client.get(url)
        except httpx.HTTPError as exc:
            return Health(ok=False, detail=f"nicht erreichbar: {type(exc).__name__}")
        ok = response.status_code < 500
        return Health(ok=ok, detail=f"HTTP {response.status_code}")

    async def aclose(self) -> None:
        await self._client.aclose()
