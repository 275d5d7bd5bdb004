"""xdomea connector: POST the packed 0401 container, read the 0402 answer.

Only a valid ``Abgabe.ImportBestaetigen.0402`` whose objects were all imported
counts as delivered; an 0402 with ``Erfolgreich = 0`` is a rejection carrying the
receiver's Fehlermeldung; anything unreadable leaves the outcome unknown.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Self

import httpx
import msgspec
from msgspec import Meta

from connectors import http
from connectors.base import convert_settings, describe_settings
from connectors.results import (
    Delivered,
    DeliveryResult,
    Health,
    Receipt,
    Rejected,
    SettingSpec,
)
from connectors.signing import IDEMPOTENCY_HEADER, TEST_HEADER
from connectors.submission import Submission
from connectors.xdomea.message import build_abgabe, read_import_confirmation
from connectors.xdomea.rules import XdomeaError

log = logging.getLogger(__name__)
FILENAME_HEADER = "X-Xdomea-Filename"
DUPLICATE_HEADER = "X-Duplicate"


class XdomeaSettings(
    msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True
):
    url: Annotated[
        str,
        Meta(
            pattern=r"^https?://",
            description="Eingangsadresse der E-Akte für xdomea-Nachrichten",
            examples=["https://eakte.example/xdomea/nachrichten"],
        ),
    ]
    timeout: Annotated[
        float, Meta(gt=0, le=600, description="Zeitlimit je Anfrage in Sekunden")
    ] = 60.0
    max_bytes: Annotated[int, Meta(gt=0, description="Größter Container in Bytes")] = (
        200 * 1024 * 1024
    )
    token: Annotated[str, Meta(description="Optionales Bearer-Token der E-Akte")] = ""


class XdomeaConnector:
    kind: ClassVar[str] = "xdomea"

    def __init__(self, settings: XdomeaSettings) -> None:
        self._settings = settings
        headers = (
            {"Authorization": f"Bearer {settings.token}"} if settings.token else {}
        )
        self._client = httpx.AsyncClient(timeout=settings.timeout, headers=headers)

    @classmethod
    def settings(cls) -> tuple[SettingSpec, ...]:
        return describe_settings(XdomeaSettings)

    @classmethod
    def from_settings(cls, values: Mapping[str, Any]) -> Self:
        return cls(convert_settings(values, XdomeaSettings))

    async def deliver(self, submission: Submission) -> DeliveryResult:
        packed = await asyncio.to_thread(build_abgabe, submission)
        if len(packed.content) > self._settings.max_bytes:
            return Rejected(
                reason=f"xdomea-Container {len(packed.content)} Bytes überschreitet "
                f"die Grenze von {self._settings.max_bytes} Bytes."
            )
        headers = {
            "Content-Type": "application/zip",
            FILENAME_HEADER: packed.filename,
            IDEMPOTENCY_HEADER: submission.idempotency_key,
            TEST_HEADER: "1" if submission.test else "0",
        }
        try:
            response = await self._client.post(
                self._settings.url, content=packed.content, headers=headers
            )
        except httpx.HTTPError as exc:
            return http.transport_failure(exc, "xdomea")
        if response.status_code not in (200, 201):
            return http.refusal(response, "xdomea")
        try:
            result = read_import_confirmation(response.content)
        except XdomeaError as exc:
            return http.garbage("xdomea", f"keine gültige 0402: {exc}")
        if result.process_id != packed.process_id:
            return http.garbage("xdomea", "0402 gehört zu einem anderen Prozess")
        if not result.success:
            reason = "; ".join(result.errors) or "ohne Begründung"
            return Rejected(reason=f"E-Akte hat den Import abgelehnt: {reason}")
        log.info(
            "xdomea delivered submission %s as process %s",
            submission.submission_id,
            packed.process_id,
        )
        receipt = Receipt(
            reference=packed.process_id,
            received_at=result.created_at,
            duplicate=response.headers.get(DUPLICATE_HEADER) == "1",
            evidence=response.text[:20000],
        )
        return Delivered(receipt=receipt)

    async def health(self) -> Health:
        try:
            response = await self._client.get(self._settings.url)
        except httpx.HTTPError as exc:
            return Health(ok=False, detail=f"nicht erreichbar: {type(exc).__name__}")
        return Health(
            ok=response.status_code < 500, detail=f"HTTP {response.status_code}"
        )

    async def aclose(self) -> None:
        await self._client.aclose()
