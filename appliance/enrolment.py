"""Enrolment, the device side: key pair, key request, stored credential.

A station is enrolled once. With a one-time token from the marketplace it creates an
Ed25519 key pair (the private key never leaves ``state_dir``), sends the public key
with the token, and stores the credential the marketplace answers with. From then on
every call to the marketplace is signed with the key (``DeviceAuth``). Running the
enrolment again on an enrolled station contacts nobody and changes nothing.

Run as ``python -m appliance.enrolment --settings /etc/scanstation/settings.json``
with the token in ``SCANSTATION_ENROLMENT_TOKEN`` (not on the command line, where
other users could read it).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import socket
import sys
import time
from collections.abc import Generator, Sequence
from pathlib import Path
from typing import Literal

import httpx
import msgspec
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

HardwareKind = Literal["raspberrypi", "pc"]
KEY_FILE = "device-key.pem"
CREDENTIAL_FILE = "credential.json"
TOKEN_VARIABLE = "SCANSTATION_ENROLMENT_TOKEN"  # noqa: S105 - a variable name
AUTH_SCHEME = "Appliance"


class StationSettings(msgspec.Struct, kw_only=True, frozen=True):
    """The station's settings file as far as the fleet is concerned.

    Other parts of the appliance may keep their own fields in the same file."""

    marketplace_url: str
    municipality_ags: str
    hardware_kind: HardwareKind = "pc"
    state_dir: Path = Path("/var/lib/scanstation")
    outbox_dir: Path = Path("/var/lib/scanstation/outbox")
    heartbeat_seconds: int = 300

    @classmethod
    def load(cls, path: Path) -> StationSettings:
        return msgspec.json.decode(path.read_bytes(), type=cls, dec_hook=_decode_path)


def _decode_path(kind: type, value: object) -> object:
    if kind is Path and isinstance(value, str):
        return Path(value)
    raise NotImplementedError(f"cannot decode {kind}")


class Credential(msgspec.Struct, kw_only=True, frozen=True):
    """What the marketplace granted: who this station is and for which municipality."""

    appliance_id: int
    name: str
    municipality_ags: str
    marketplace_url: str
    key_fingerprint: str
    enrolled_at: str


class EnrolmentError(Exception):
    """Enrolment did not happen; the message says why in German."""


class MarketplaceUnreachable(EnrolmentError):
    """No answer from the marketplace; trying again later may work."""


class EnrolmentRefused(EnrolmentError):
    """The marketplace said no (token unknown, used, expired, or the request wrong)."""


def load_credential(state_dir: Path) -> Credential | None:
    path = state_dir / CREDENTIAL_FILE
    if not path.exists():
        return None
    return msgspec.json.decode(path.read_bytes(), type=Credential)


def load_or_create_key(state_dir: Path) -> Ed25519PrivateKey:
    """The station's key; created on first use, reused after a failed attempt."""
    path = state_dir / KEY_FILE
    state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    if path.exists():
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise EnrolmentError(f"{path} enthält keinen Ed25519-Schlüssel.")
        return key
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    _write_private(path, pem)
    return key


def public_key_text(key: Ed25519PrivateKey) -> str:
    raw = key.public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw
    )
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def enrol(
    settings: StationSettings, token: str, *, client: httpx.Client | None = None
) -> tuple[Credential, bool]:
    """Enrol unless already enrolled: (credential, newly enrolled)."""
    existing = load_credential(settings.state_dir)
    if existing is not None:
        return existing, False
    if not token:
        raise EnrolmentError(f"Kein Anmeldetoken: bitte {TOKEN_VARIABLE} setzen.")
    settings.state_dir.mkdir(parents=True, exist_ok=True)
    key = load_or_create_key(settings.state_dir)
    body = {
        "token": token,
        "public_key": public_key_text(key),
        "hostname": socket.gethostname(),
        "hardware_kind": settings.hardware_kind,
        "software_version": installed_version(),
    }
    url = settings.marketplace_url.rstrip("/") + "/api/v1/fleet/enrolments"
    with client or httpx.Client(timeout=30) as http:
        try:
            response = http.post(url, json=body)
        except httpx.TransportError as exc:
            raise MarketplaceUnreachable(
                f"Der Marktplatz {settings.marketplace_url} ist nicht erreichbar: {exc}"
            ) from exc
    if response.status_code != 201:
        raise EnrolmentRefused(_problem_detail(response))
    granted = msgspec.json.decode(response.content)
    credential = Credential(
        appliance_id=granted["appliance_id"],
        name=granted["name"],
        municipality_ags=granted["municipality_ags"],
        marketplace_url=settings.marketplace_url,
        key_fingerprint=granted["key_fingerprint"],
        enrolled_at=granted["enrolled_at"],
    )
    encoded = msgspec.json.format(msgspec.json.encode(credential))
    _write_private(settings.state_dir / CREDENTIAL_FILE, encoded)
    return credential, True


class DeviceAuth(httpx.Auth):
    """Signs every request with the station key: ``Authorization: Appliance
    id=<id>,ts=<unix seconds>,sig=<Ed25519 over method, path, ts, body hash>``."""

    requires_request_body = True

    def __init__(self, credential: Credential, key: Ed25519PrivateKey) -> None:
        self._id = credential.appliance_id
        self._key = key

    def auth_flow(
        self, request: httpx.Request
    ) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = self.header(
            request.method, request.url.raw_path.decode(), request.content
        )
        yield request

    def header(self, method: str, path: str, body: bytes) -> str:
        timestamp = int(time.time())
        signature = self._key.sign(signing_text(method, path, timestamp, body))
        sig = base64.urlsafe_b64encode(signature).decode().rstrip("=")
        return f"{AUTH_SCHEME} id={self._id},ts={timestamp},sig={sig}"


def signing_text(method: str, path: str, timestamp: int, body: bytes) -> bytes:
    """What a device signs; the marketplace rebuilds it to verify."""
    digest = hashlib.sha256(body).hexdigest()
    return f"{method.upper()}\n{path}\n{timestamp}\n{digest}".encode()


def device_auth(settings: StationSettings) -> DeviceAuth:
    """Signing for an enrolled station; refuses clearly when not enrolled."""
    auth = stored_device_auth(settings.state_dir)
    if auth is None:
        raise EnrolmentError(
            "Die Station ist nicht angemeldet: zuerst mit einem Anmeldetoken anmelden."
        )
    return auth


def stored_device_auth(state_dir: Path) -> DeviceAuth | None:
    """Signing from an enrolment's state folder, ``None`` while not enrolled there."""
    credential = load_credential(state_dir)
    if credential is None:
        return None
    return DeviceAuth(credential, load_or_create_key(state_dir))


def installed_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("efa-stack")
    except PackageNotFoundError:
        return "unbekannt"


def _problem_detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    return f"HTTP {response.status_code}: {detail or response.text[:200]}"


def _write_private(path: Path, content: bytes) -> None:
    """Write a file readable only by its owner, atomically (no half-written key)."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m appliance.enrolment")
    parser.add_argument("--settings", type=Path, required=True)
    args = parser.parse_args(argv)
    settings = StationSettings.load(args.settings)
    try:
        credential, new = enrol(settings, os.environ.get(TOKEN_VARIABLE, ""))
    except EnrolmentError as exc:
        print(f"Anmeldung fehlgeschlagen: {exc}", file=sys.stderr)
        return 2
    state = "angemeldet" if new else "bereits angemeldet"
    print(f"Station {credential.name} (Gerät {credential.appliance_id}) {state}.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
