"""HMAC signatures over timestamp and body, as FIT-Connect callbacks use them.

The signature header is ``sha256=<hex>`` of HMAC-SHA256(secret, f"{ts}." + body);
the timestamp header holds Unix seconds. A request that describes its body in a
header (the webhook's raw form, ``X-Submission``) signs that too:
HMAC-SHA256(secret, f"{ts}." + description + "." + body). A receiver refuses a request whose
timestamp is more than ``REPLAY_WINDOW`` seconds away from its own clock, so a
captured request cannot be replayed later, and compares in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Signature"
TIMESTAMP_HEADER = "X-Timestamp"
IDEMPOTENCY_HEADER = "Idempotency-Key"
TEST_HEADER = "X-Test-Submission"
REPLAY_WINDOW = 300


def sign(secret: bytes, timestamp: int, body: bytes, description: str = "") -> str:
    mac = hmac.new(secret, f"{timestamp}.".encode(), hashlib.sha256)
    if description:
        mac.update(f"{description}.".encode())
    mac.update(body)  # fed in place: a large body is never copied
    return f"sha256={mac.hexdigest()}"


def signed_headers(
    secret: bytes, body: bytes, now: float | None = None, description: str = ""
) -> dict[str, str]:
    timestamp = int(time.time() if now is None else now)
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: sign(secret, timestamp, body, description),
    }


def verify(
    secret: bytes,
    timestamp_header: str | None,
    signature_header: str | None,
    body: bytes,
    now: float | None = None,
    description: str = "",
) -> str | None:
    """``None`` when valid, else the German reason for refusing the request."""
    if not timestamp_header or not signature_header:
        return "Signatur oder Zeitstempel fehlt."
    try:
        timestamp = int(timestamp_header)
    except ValueError:
        return "Zeitstempel ist keine Zahl."
    current = time.time() if now is None else now
    if abs(current - timestamp) > REPLAY_WINDOW:
        return "Zeitstempel liegt außerhalb des Fensters von 5 Minuten (Wiederholung?)."
    expected = sign(secret, timestamp, body, description)
    if not hmac.compare_digest(expected, signature_header):
        return "Signatur ungültig (falscher Schlüssel?)."
    return None
