"""Turning HTTP trouble into typed results, shared by the HTTP-based connectors.

Anything that leaves the outcome unknown (connection refused, timeout, 5xx, 429,
an answer that cannot be parsed) becomes ``Deferred``: the receiver deduplicates
by idempotency key, so trying again is safe. A 4xx other than 408/425/429 is the
receiver saying no and becomes ``Rejected`` with the receiver's own reason, except
a signature refused for its timestamp while the clocks are apart (``clock_refusal``).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
import msgspec

from connectors.results import Deferred, Rejected

log = logging.getLogger(__name__)

DEFAULT_RETRY_AFTER = 30.0
_RETRYABLE_4XX = frozenset({408, 425, 429})
# A ``Date`` header has whole seconds and is written after the request arrived.
_DATE_SLACK = 5.0


class Problem(msgspec.Struct, kw_only=True):
    """The parts of an RFC 9457 problem document a connector shows to people."""

    title: str = ""
    detail: str = ""
    type: str = ""


def transport_failure(exc: httpx.HTTPError, what: str) -> Deferred:
    """A request that did not get an answer."""
    if isinstance(exc, httpx.TimeoutException):
        reason = (
            f"{what}: Zeitüberschreitung, der Empfänger antwortet nicht rechtzeitig"
        )
    elif isinstance(exc, httpx.ConnectError):
        reason = f"{what}: Empfänger nicht erreichbar ({type(exc).__name__})"
    else:
        reason = f"{what}: Übertragungsfehler ({type(exc).__name__})"
    log.info("%s: deferred after %s", what, type(exc).__name__)
    return Deferred(retry_after=DEFAULT_RETRY_AFTER, reason=reason)


def refusal(response: httpx.Response, what: str) -> Deferred | Rejected:
    """A non-success answer: retry later (5xx, 429, ...) or rejected (other 4xx)."""
    status = response.status_code
    reason = f"{what}: HTTP {status} {_problem_text(response)}".rstrip()
    if status >= 500 or status in _RETRYABLE_4XX:
        return Deferred(retry_after=retry_after(response), reason=reason)
    return Rejected(reason=reason)


def clock_refusal(
    response: httpx.Response, what: str, *, sent_at: float, window: float
) -> Deferred | None:
    """A 401 while this server's clock and the receiver's (its ``Date`` header)
    are further apart than the signature's time ``window``: the receiver refused
    the timestamp, not the key. That passes once NTP sets a clock right, so the
    delivery is retried instead of becoming a dead letter."""
    raw = response.headers.get("date")
    if response.status_code != 401 or raw is None:
        return None
    try:
        theirs = parsedate_to_datetime(raw).timestamp()
    except (TypeError, ValueError):
        return None
    skew = sent_at - theirs
    if abs(skew) <= window - _DATE_SLACK:
        return None
    reason = (
        f"{what}: HTTP 401 {_problem_text(response)}; die Uhr dieses Servers geht "
        f"{abs(skew):.0f} s {'vor' if skew > 0 else 'nach'} gegenüber der des "
        f"Empfängers (Zeitabgleich/NTP prüfen), neuer Versuch folgt"
    )
    return Deferred(retry_after=DEFAULT_RETRY_AFTER, reason=reason)


def garbage(what: str, detail: str) -> Deferred:
    return Deferred(
        retry_after=DEFAULT_RETRY_AFTER,
        reason=f"{what}: unverständliche Antwort des Empfängers ({detail})",
    )


def retry_after(response: httpx.Response) -> float:
    """Seconds from a ``Retry-After`` header (delta or HTTP date), else the default."""
    raw = response.headers.get("retry-after")
    if raw is None:
        return DEFAULT_RETRY_AFTER
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return DEFAULT_RETRY_AFTER
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def _problem_text(response: httpx.Response) -> str:
    if "json" not in response.headers.get("content-type", ""):
        return ""
    try:
        problem = msgspec.json.decode(response.content, type=Problem)
    except (msgspec.DecodeError, msgspec.ValidationError):
        return ""
    return " ".join(part for part in (problem.title, problem.detail) if part)[:500]
