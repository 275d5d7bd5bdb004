"""JOSE for FIT-Connect: JWE to the destination, PS512 security event tokens.

Keys are JWKs (RSA, at least 4096 bits). An encryption key must carry
``key_ops: ["wrapKey"]`` and ``alg: RSA-OAEP-256``; a signature key
``key_ops: ["verify"]`` and ``alg: PS512``. Anything else is refused before use.
"""

from __future__ import annotations

import base64
import json
import time
import uuid
from typing import Any

from jwcrypto import jwe, jwk, jws, jwt
from jwcrypto.common import JWException

MIN_RSA_BITS = 4096
ENCRYPTION_ALG = "RSA-OAEP-256"
CONTENT_ENC = "A256GCM"
SIGNATURE_ALG = "PS512"
EVENT_TYP = "secevent+jwt"
EVENT_PREFIX = "https://schema.fitko.de/fit-connect/events/"
ACCEPT = EVENT_PREFIX + "accept-submission"
REJECT = EVENT_PREFIX + "reject-submission"
SUBMIT = EVENT_PREFIX + "submit-submission"


class UnusableKey(ValueError):
    """A key that must not be used (wrong type, size, usage or algorithm)."""


class CryptoError(ValueError):
    """Decryption or signature verification failed."""


def generate_key() -> jwk.JWK:
    """A fresh RSA-4096 key pair with a random ``kid``."""
    return jwk.JWK.generate(kty="RSA", size=MIN_RSA_BITS, kid=str(uuid.uuid4()))


def public_jwk(key: jwk.JWK, use: str) -> dict[str, Any]:
    """The public half as a FIT-Connect key document."""
    public: dict[str, Any] = json.loads(key.export_public())
    if use == "enc":
        public |= {"key_ops": ["wrapKey"], "alg": ENCRYPTION_ALG, "use": "enc"}
    else:
        public |= {"key_ops": ["verify"], "alg": SIGNATURE_ALG, "use": "sig"}
    return public


def _rsa_bits(document: dict[str, Any]) -> int:
    n = str(document.get("n", ""))
    padded = n + "=" * (-len(n) % 4)
    return len(base64.urlsafe_b64decode(padded)) * 8


def check_key(document: dict[str, Any], use: str) -> jwk.JWK:
    """Validate a published key document and return it as a JWK."""
    if document.get("kty") != "RSA":
        raise UnusableKey("Schlüssel ist kein RSA-Schlüssel.")
    bits = _rsa_bits(document)
    if bits < MIN_RSA_BITS:
        raise UnusableKey(
            f"RSA-Schlüssel hat {bits} Bit, verlangt sind mindestens 4096."
        )
    op, alg = ("wrapKey", ENCRYPTION_ALG) if use == "enc" else ("verify", SIGNATURE_ALG)
    if op not in document.get("key_ops", []):
        raise UnusableKey(f"Schlüssel ist nicht für {op} freigegeben.")
    if document.get("alg") != alg:
        raise UnusableKey(f"Schlüssel-Algorithmus {document.get('alg')} statt {alg}.")
    try:
        return jwk.JWK(**{k: v for k, v in document.items() if k != "key_ops"})
    except (JWException, ValueError, TypeError) as exc:
        raise UnusableKey(f"Schlüssel nicht lesbar: {exc}") from None


def encrypt(key: jwk.JWK, plaintext: bytes, content_type: str) -> str:
    """Compact JWE with RSA-OAEP-256 / A256GCM to ``key``."""
    header = {
        "alg": ENCRYPTION_ALG,
        "enc": CONTENT_ENC,
        "cty": content_type,
        "kid": key.get("kid") or key.thumbprint(),
    }
    token = jwe.JWE(plaintext=plaintext, protected=json.dumps(header))
    token.add_recipient(key)
    return str(token.serialize(compact=True))


def decrypt(key: jwk.JWK, token: str) -> bytes:
    try:
        message = jwe.JWE()
        message.deserialize(token, key=key)
    except (JWException, ValueError, TypeError) as exc:
        raise CryptoError(
            f"Entschlüsselung fehlgeschlagen: {type(exc).__name__}"
        ) from None
    payload: bytes = message.payload
    return payload


def sign_event(
    key: jwk.JWK,
    *,
    issuer: str,
    submission_id: str,
    case_id: str,
    event: str,
    payload: dict[str, Any],
) -> str:
    """A security event token (RFC 8417) for ``event``, signed PS512."""
    claims = {
        "iss": issuer,
        "iat": int(time.time()),
        "jti": str(uuid.uuid4()),
        "sub": f"submission:{submission_id}",
        "txn": f"case:{case_id}",
        "events": {event: payload},
    }
    header = {"alg": SIGNATURE_ALG, "typ": EVENT_TYP, "kid": key.get("kid")}
    token = jwt.JWT(header=header, claims=claims)
    token.make_signed_token(key)
    return str(token.serialize())


def event_kid(token: str) -> str:
    """The ``kid`` of an event token's header, read before verification."""
    try:
        parsed = jws.JWS()
        parsed.deserialize(token)
        header = parsed.jose_header
    except (JWException, ValueError, TypeError) as exc:
        raise CryptoError(
            f"Statusereignis nicht lesbar: {type(exc).__name__}"
        ) from None
    if header.get("alg") != SIGNATURE_ALG or header.get("typ") != EVENT_TYP:
        raise CryptoError("Statusereignis hat falschen Typ oder Algorithmus.")
    return str(header.get("kid", ""))


def verify_event(key: jwk.JWK, token: str) -> dict[str, Any]:
    """Verify a PS512 event token and return its claims."""
    try:
        parsed = jwt.JWT(jwt=token, key=key, algs=[SIGNATURE_ALG], check_claims={})
    except (JWException, ValueError, TypeError) as exc:
        raise CryptoError(
            f"Signatur des Statusereignisses ungültig: {type(exc).__name__}"
        ) from None
    claims: dict[str, Any] = json.loads(parsed.claims)
    return claims
