"""Document bodies in an S3-compatible object store (AWS S3, MinIO, Ceph RGW, ...).

Path-style requests (``<endpoint>/<bucket>/<prefix><key>``) over httpx, signed
with AWS Signature V4 (``sigv4``); the operations: PUT, GET, HEAD and DELETE of
an object, and the bucket's listing (ListObjectsV2, page by page with its
continuation token; the XML parsed by lxml with entities and network off). The payload's SHA-256 is part of every signature, so a real S3
refuses bytes changed on the way; the bytes are also checked against the
expected SHA-256 before the upload and after every download. Keys are the same
relative paths as in the folder store, below an optional prefix.

Configured by a URL ``s3://bucket/prefix?endpoint=http://127.0.0.1:9000&region=
eu-central-1`` (no endpoint: AWS, ``https://s3.<region>.amazonaws.com``) and
credentials from the settings (``MARKETPLACE_S3_ACCESS_KEY`` /
``MARKETPLACE_S3_SECRET_KEY`` or ``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY``). Credentials never appear in logs or messages.
"""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
from lxml import etree

from marketplace.objectstore.base import (
    ObjectMissing,
    StoreConfigError,
    StoredObject,
    StoreUnavailable,
    checked_key,
    verified,
)
from marketplace.objectstore.sigv4 import EMPTY_SHA256, Credentials, encode_path, sign

log = logging.getLogger(__name__)

_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_PREFIX = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$")
_ATTEMPTS = 3
_RETRY = frozenset({500, 502, 503, 504})
_PROBE = {"list-type": "2", "max-keys": "1"}
_CODE = re.compile(rb"<Code>([^<]{1,100})</Code>")
_NS = "{http://s3.amazonaws.com/doc/2006-03-01/}"
# A listing answer is data from the network: no entities, no network, no huge trees.
_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_REFUSED = {
    "InvalidAccessKeyId": "kennt den Zugangsschlüssel nicht",
    "SignatureDoesNotMatch": "lehnt den geheimen Schlüssel ab",
    "AccessDenied": "verweigert den Zugriff",
    "NoSuchBucket": "hat den Bucket nicht",
}


@dataclass(frozen=True)
class S3Location:
    """Where the documents go: endpoint, bucket, key prefix and signing region."""

    endpoint: str
    bucket: str
    prefix: str
    region: str

    @classmethod
    def parse(cls, url: str) -> S3Location:
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        region = query.get("region", "us-east-1")
        endpoint = query.get("endpoint", f"https://s3.{region}.amazonaws.com")
        if parts.scheme != "s3" or not _BUCKET.fullmatch(parts.netloc):
            raise StoreConfigError(
                f"Die Dokumentablage {url!r} ist keine gültige Angabe der Form "
                "s3://bucket/präfix?endpoint=http://host:port&region=..."
            )
        if urlsplit(endpoint).scheme not in ("http", "https"):
            raise StoreConfigError(
                f"Der S3-Endpunkt {endpoint!r} ist keine http(s)-URL."
            )
        prefix = parts.path.strip("/")
        if prefix and not _PREFIX.fullmatch(prefix):
            raise StoreConfigError(
                f"Das Präfix {prefix!r} darf nur Buchstaben, Ziffern, ._- und / "
                "enthalten."
            )
        return cls(
            endpoint=endpoint.rstrip("/"),
            bucket=parts.netloc,
            prefix=f"{prefix}/" if prefix else "",
            region=region,
        )

    def __str__(self) -> str:
        return f"s3://{self.bucket}/{self.prefix} at {self.endpoint}"


class S3Store:
    """An ``ObjectStore`` in one bucket of an S3-compatible server."""

    def __init__(
        self,
        location: S3Location,
        credentials: Credentials,
        *,
        timeout: float = 30.0,
        list_page: int = 1000,
    ) -> None:
        self.location = location
        self.list_page = list_page
        self._credentials = credentials
        self._timeout = httpx.Timeout(timeout, connect=5.0)
        # httpx connections belong to one event loop (a test client's portal
        # runs its own), so each loop gets its own client.
        self._clients: dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}

    def __str__(self) -> str:
        return str(self.location)

    async def put(
        self, key: str, content: bytes, *, sha256: str, content_type: str
    ) -> None:
        await verified(key, content, sha256)
        # Content addressed: writing the same bytes again is harmless (and puts
        # right whatever else may lie under the key), so no HEAD before.
        stored = await self._send(
            "PUT",
            key,
            content=content,
            payload_sha256=sha256,
            headers={"content-type": content_type},
        )
        if stored.status_code != 200:
            raise self._refused(stored)

    async def get(self, key: str, *, sha256: str) -> bytes:
        answer = await self._send("GET", key)
        if answer.status_code == 404 and _code(answer) == "NoSuchKey":
            raise ObjectMissing(f"Dokument {sha256[:12]}… fehlt in der Ablage ({key}).")
        if answer.status_code != 200:
            raise self._refused(answer)
        return await verified(key, answer.content, sha256)

    async def exists(self, key: str) -> bool:
        answer = await self._send("HEAD", key)
        if answer.status_code in (200, 404):
            return answer.status_code == 200
        raise self._refused(answer)

    async def delete(self, key: str) -> None:
        """DeleteObject; S3 answers 204 for a missing key as well."""
        answer = await self._send("DELETE", key)
        if answer.status_code in (200, 204):
            return
        if answer.status_code == 404 and _code(answer) == "NoSuchKey":
            return
        raise self._refused(answer)

    async def list(self, prefix: str) -> AsyncIterator[StoredObject]:
        """ListObjectsV2 below the store's prefix, page by page."""
        token: str | None = None
        while True:
            query = {
                "list-type": "2",
                "prefix": self.location.prefix + prefix,
                "max-keys": str(self.list_page),
            }
            if token is not None:
                query["continuation-token"] = token
            answer = await self._send("GET", None, query=query)
            if answer.status_code != 200:
                raise self._refused(answer)
            found, token = _listing(answer.content, self.location.prefix)
            for item in found:
                yield item
            if token is None:
                return

    async def check(self) -> None:
        """The bucket exists and these credentials may list it (a listing of at
        most one key, whose error body names the cause, unlike HEAD's)."""
        answer = await self._send("GET", None, query=_PROBE)
        if answer.status_code != 200:
            raise self._refused(answer)

    async def close(self) -> None:
        clients, self._clients = self._clients, {}
        current = asyncio.get_running_loop()
        for loop, client in clients.items():
            if loop is current:
                await client.aclose()
            # a client of another (finished) loop is dropped with its loop

    async def _send(
        self,
        method: str,
        key: str | None,
        *,
        content: bytes = b"",
        payload_sha256: str = EMPTY_SHA256,
        headers: dict[str, str] | None = None,
        query: dict[str, str] | None = None,
    ) -> httpx.Response:
        """One S3 request. Answers 500/503 and connections dropped mid-request
        are tried twice more after a short pause, as AWS advises for
        InternalError and SlowDown (every operation here is idempotent on
        content-addressed keys); an endpoint that refuses connections fails at
        once."""
        for attempt in range(1, _ATTEMPTS + 1):
            request = self._signed(method, key, content, payload_sha256, headers, query)
            try:
                answer = await self._client().send(request)
            except httpx.HTTPError as exc:
                name = type(exc).__name__
                if attempt == _ATTEMPTS or isinstance(exc, httpx.ConnectError):
                    raise self._unavailable(
                        name, "ist nicht erreichbar", False
                    ) from exc
                log.info("S3 %s %s: %s, trying again", method, self.location, name)
            else:
                if answer.status_code not in _RETRY or attempt == _ATTEMPTS:
                    return answer
                log.info("S3 %s answered %d, trying again", method, answer.status_code)
            await asyncio.sleep(0.1 * attempt + secrets.randbelow(100) / 1000)
        raise AssertionError("unreachable")  # pragma: no cover

    def _signed(
        self,
        method: str,
        key: str | None,
        content: bytes,
        payload_sha256: str,
        headers: dict[str, str] | None,
        query: dict[str, str] | None,
    ) -> httpx.Request:
        where = self.location
        path = f"/{where.bucket}"
        if key is not None:
            path += f"/{where.prefix}{checked_key(key)}"
        request = httpx.Request(
            method,
            f"{where.endpoint}{encode_path(path)}",
            params=query,
            content=content,
        )
        request.headers.update(
            sign(
                self._credentials,
                method=method,
                host=request.headers["host"],
                path=path,
                query=query or {},
                headers=headers or {},
                payload_sha256=payload_sha256,
                region=where.region,
                now=datetime.now(UTC),
            )
        )
        request.headers.update(headers or {})
        return request

    def _client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        client = self._clients.get(loop)
        if client is None:
            client = httpx.AsyncClient(timeout=self._timeout)
            self._clients[loop] = client
        return client

    def _refused(self, answer: httpx.Response) -> StoreUnavailable:
        code = _code(answer) or f"HTTP {answer.status_code}"
        if answer.request.method == "HEAD" and answer.status_code == 403:
            return self._unavailable(code, "lehnt die Zugangsdaten ab")
        what = _REFUSED.get(code, "antwortet mit einem Fehler")
        return self._unavailable(code, what)

    def _unavailable(
        self, reason: str, what: str, reachable: bool = True
    ) -> StoreUnavailable:
        log.warning("S3 document store %s failed: %s", self.location, reason)
        return StoreUnavailable(
            f"Die Dokumentablage (S3) {what} ({reason}).",
            reason=reason,
            reachable=reachable,
        )


def _listing(body: bytes, prefix: str) -> tuple[list[StoredObject], str | None]:
    """The objects of one ListObjectsV2 page (keys without the store's prefix)
    and the token of the next page, if the listing is truncated."""
    try:
        root = etree.fromstring(body, _XML)
    except etree.XMLSyntaxError as exc:
        raise StoreUnavailable(
            "Die Dokumentablage (S3) liefert eine unlesbare Auflistung.",
            reason="ListObjectsV2",
        ) from exc
    found = []
    for item in root.iter(f"{_NS}Contents"):
        key = item.findtext(f"{_NS}Key") or ""
        modified = item.findtext(f"{_NS}LastModified") or ""
        found.append(
            StoredObject(
                key=key.removeprefix(prefix),
                size=int(item.findtext(f"{_NS}Size") or 0),
                modified=datetime.fromisoformat(modified).timestamp(),
            )
        )
    truncated = root.findtext(f"{_NS}IsTruncated") == "true"
    token = root.findtext(f"{_NS}NextContinuationToken")
    return found, token if truncated and token else None


def _code(answer: httpx.Response) -> str:
    found = _CODE.search(answer.content[:2048])
    return found[1].decode("ascii", "replace") if found else ""
