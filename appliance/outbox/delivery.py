"""Delivery of the outbox to the marketplace intake: at least once, keyed by hash.

The marketplace stores each document once however often it arrives, so sending
again after a crash, a timeout or a lost answer is always safe. A delivery that
fails for a passing reason (marketplace down or busy, network cut) is retried with
exponential backoff and jitter; one that cannot succeed (the marketplace refuses the
content, the local file is damaged, or ``max_attempts`` are used up) becomes a dead
letter with its reason, which the operator sees and can put back in line.
"""

from __future__ import annotations

import hashlib
import logging
import random
import threading
from typing import Protocol

import httpx
import msgspec

from appliance.outbox.schemas import (
    Deferred,
    Delivered,
    DocumentMetadata,
    Entry,
    OutboxSettings,
    Outcome,
    Rejected,
)
from appliance.outbox.store import Outbox

log = logging.getLogger(__name__)

_RETRY_STATUS = {408, 425, 429}
DEVICE_REVOKED = "Gerät gesperrt"


class Intake(Protocol):
    """The receiving side. ``send`` must not raise: every failure is an outcome.

    ``Deferred`` when trying again later may help, ``Rejected`` when it cannot.
    """

    def send(
        self, sha256: str, metadata: DocumentMetadata, content: bytes
    ) -> Outcome: ...


class _Body(msgspec.Struct, kw_only=True):
    metadata: DocumentMetadata
    content: bytes  # base64 in JSON


class HttpIntake:
    """``PUT /api/v1/intake/documents/{sha256}``, signed with the station's device
    credential (``auth``, see ``appliance.enrolment.DeviceAuth``) once it is
    enrolled, else with a municipality account's bearer ``token``.

    With ``municipality_ags`` every delivery names the municipality it is for, and
    the marketplace refuses it (403) unless the credential belongs to that one.
    """

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        auth: httpx.Auth | None = None,
        municipality_ags: str = "",
        timeout: float = 30.0,
        client: httpx.Client | None = None,
    ) -> None:
        if (token is None) == (auth is None):
            raise ValueError("HttpIntake needs either a token or a device auth")
        self._client = client or httpx.Client(base_url=base_url.rstrip("/"))
        if token is not None:
            self._client.headers["Authorization"] = f"Bearer {token}"
        self._auth = auth
        self._params = {"ags": municipality_ags} if municipality_ags else {}
        self._client.timeout = httpx.Timeout(timeout)

    def close(self) -> None:
        self._client.close()

    def send(self, sha256: str, metadata: DocumentMetadata, content: bytes) -> Outcome:
        body = msgspec.json.encode(_Body(metadata=metadata, content=content))
        try:
            response = self._client.put(
                f"/api/v1/intake/documents/{sha256}",
                content=body,
                params=self._params,
                headers={"Content-Type": "application/json"},
                auth=self._auth or httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.HTTPError as exc:
            return Deferred(
                reason=f"Marktplatz nicht erreichbar ({type(exc).__name__})"
            )
        return _outcome(response)


def _outcome(response: httpx.Response) -> Outcome:
    status = response.status_code
    if status in (200, 201):
        receipt = response.json()
        return Delivered(
            receipt_id=str(receipt["receipt_id"]), duplicate=bool(receipt["duplicate"])
        )
    detail = _detail(response)
    if status == 403 and _revoked(response):
        # Never accepted again: a dead letter now, put back in line
        # (``appliance outbox retry``) once the station is enrolled anew.
        return Rejected(reason=f"{DEVICE_REVOKED}: {detail}")
    if status in (401, 403):
        return Deferred(
            reason=f"Anmeldung am Marktplatz abgelehnt ({status}): {detail}"
        )
    if status >= 500 or status in _RETRY_STATUS:
        return Deferred(reason=f"Marktplatz antwortet {status}: {detail}")
    return Rejected(reason=f"Marktplatz lehnt ab ({status}): {detail}")


def _revoked(response: httpx.Response) -> bool:
    try:
        return bool(response.json().get("appliance_state") == "revoked")
    except (ValueError, AttributeError):
        return False


def _detail(response: httpx.Response) -> str:
    try:
        return str(response.json().get("detail", ""))[:300]
    except (ValueError, AttributeError):
        return response.text[:300]


def backoff(attempt: int, settings: OutboxSettings, rng: random.Random) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based)."""
    ceiling = min(settings.backoff_cap, settings.backoff_base * 2 ** (attempt - 1))
    return rng.uniform(ceiling / 2, ceiling)


def deliver_one(
    outbox: Outbox,
    intake: Intake,
    entry: Entry,
    settings: OutboxSettings,
    rng: random.Random,
) -> Outcome:
    """Send one claimed document and record the outcome in the outbox."""
    outcome = _send(outbox, intake, entry)
    match outcome:
        case Delivered(receipt_id=receipt_id):
            outbox.mark_delivered(entry.sha256, receipt_id)
        case Deferred(reason=reason) if entry.attempts + 1 < settings.max_attempts:
            outbox.mark_failed(
                entry.sha256, reason, backoff(entry.attempts + 1, settings, rng)
            )
        case Deferred(reason=reason):
            final = f"Nach {settings.max_attempts} Versuchen aufgegeben: {reason}"
            outbox.mark_failed(entry.sha256, final, None)
        case Rejected(reason=reason):
            outbox.mark_failed(entry.sha256, reason, None)
    log.info("outbox %s: %s", entry.sha256[:12], type(outcome).__name__)
    return outcome


def _send(outbox: Outbox, intake: Intake, entry: Entry) -> Outcome:
    try:
        content = outbox.path(entry).read_bytes()
    except OSError as exc:
        return Rejected(reason=f"Datei im Postausgang nicht lesbar: {exc.strerror}")
    if hashlib.sha256(content).hexdigest() != entry.sha256:
        return Rejected(
            reason="Datei im Postausgang beschädigt: Prüfsumme stimmt nicht mehr."
        )
    return intake.send(entry.sha256, entry.metadata, content)


def deliver_due(
    outbox: Outbox,
    intake: Intake,
    settings: OutboxSettings,
    rng: random.Random,
    *,
    limit: int = 20,
) -> list[Outcome]:
    """Send every document that is due now (at most ``limit``)."""
    lease = settings.timeout_seconds * 2 + 5
    horizon = max(lease, settings.backoff_cap) + 60  # beyond: the clock went back
    return [
        deliver_one(outbox, intake, entry, settings, rng)
        for entry in outbox.claim_due(limit, lease, horizon)
    ]


def run(
    outbox: Outbox,
    intake: Intake,
    settings: OutboxSettings,
    stop: threading.Event,
    *,
    until_empty: bool = False,
) -> None:
    """Deliver until ``stop`` is set (or, with ``until_empty``, nothing pends)."""
    rng = random.Random()  # noqa: S311 - jitter, not cryptography
    while not stop.is_set():
        try:
            done = deliver_due(outbox, intake, settings, rng)
        except Exception:
            # The loop must survive a locked or briefly unavailable database; the
            # documents stay pending and are tried again on the next round.
            log.exception("outbox delivery round failed")
            done = []
        wait = outbox.next_due_in()
        if until_empty and wait is None:
            return
        if not done:
            stop.wait(min(settings.poll_seconds, wait if wait is not None else 1e9))
