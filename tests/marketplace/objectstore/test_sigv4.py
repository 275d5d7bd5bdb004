"""Our AWS Signature V4 against botocore's ``S3SigV4Auth`` (installed with
moto as a dev dependency), an independent implementation of the same
algorithm: for the same request at the same moment both must produce the same
``Authorization`` header, byte for byte. (The contract and suite tests then
show moto accepting our signatures and refusing wrong ones.)"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from botocore import auth as botocore_auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from marketplace.objectstore.sigv4 import EMPTY_SHA256, Credentials, sign

MOMENT = datetime(2026, 11, 23, 9, 30, 5, tzinfo=UTC)
KEYS = Credentials("AKIAEXAMPLEKEY000001", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
CASES = [
    ("GET", "/docs/intake/14713000/ab/ab12.pdf", {}, {}, b""),
    ("HEAD", "/docs", {}, {}, b""),
    (
        "PUT",
        "/docs/mandant-a/delivery/blobs/ff/ff00",
        {},
        {"content-type": "application/pdf"},
        b"%PDF-1.7 Inhalt",
    ),
    (
        "GET",
        "/docs/Umlaut ä + Leerzeichen",
        {"prefix": "a b/ü", "list-type": "2"},
        {},
        b"",
    ),
]


@pytest.mark.parametrize(("method", "path", "query", "headers", "body"), CASES)
def test_our_signature_is_botocores(
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    path: str,
    query: dict[str, str],
    headers: dict[str, str],
    body: bytes,
) -> None:
    """GIVEN one request (path, query, extra headers, body) at a fixed moment
    WHEN signed by our code and by botocore with the same key and region
    THEN the x-amz headers and the Authorization header are identical."""
    payload = hashlib.sha256(body).hexdigest() if body else EMPTY_SHA256
    host = "127.0.0.1:9000"
    ours = sign(
        KEYS,
        method=method,
        host=host,
        path=path,
        query=query,
        headers=headers,
        payload_sha256=payload,
        region="eu-central-1",
        now=MOMENT,
    )
    monkeypatch.setattr(
        botocore_auth, "get_current_datetime", lambda: MOMENT.replace(tzinfo=None)
    )
    request = AWSRequest(
        method=method,
        url=f"http://{host}{botocore_auth.quote(path, safe='/~')}",
        params=query,
        headers={**headers, "X-Amz-Content-SHA256": payload},
        data=body,
    )
    boto = BotoCredentials(KEYS.access_key, KEYS.secret_key)
    botocore_auth.S3SigV4Auth(boto, "s3", "eu-central-1").add_auth(request)
    assert ours["x-amz-date"] == request.headers["X-Amz-Date"]
    assert ours["x-amz-content-sha256"] == request.headers["X-Amz-Content-SHA256"]
    assert ours["Authorization"] == request.headers["Authorization"]


def test_a_wrong_secret_gives_another_signature() -> None:
    """GIVEN the same request
    WHEN signed with a secret differing in one character
    THEN the signature differs (and the secret never appears in the headers)."""

    def signed(credentials: Credentials) -> dict[str, str]:
        return sign(
            credentials,
            method="GET",
            host="h",
            path="/b/k",
            query={},
            headers={},
            payload_sha256=EMPTY_SHA256,
            region="us-east-1",
            now=MOMENT,
        )

    right = signed(KEYS)
    wrong = signed(Credentials(KEYS.access_key, KEYS.secret_key[:-1] + "X"))
    assert right["Authorization"] != wrong["Authorization"]
    assert KEYS.secret_key not in str(right)
    assert "EXAMPLEKEY" not in repr(KEYS)
