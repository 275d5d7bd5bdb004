"""The node's Ed25519 key pair and signing of canonical msgspec JSON.

The private key lives in a file next to the database (``<db>.node-key``, PEM,
mode 0600), created on first use. Public keys travel as 64 hex digits. A signed
value is its canonical bytes (``msgspec.json.encode`` of a Struct: fields in
declaration order, no whitespace) with the signature over exactly those bytes;
the receiver verifies the bytes it received and decodes only then.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TypeVar

import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

from marketplace.federation.schemas import Signed

T = TypeVar("T")


class BadSignature(Exception):
    """The signature does not match the bytes and the configured public key."""


def key_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".node-key")


class NodeKey:
    """The node's private key; signs bodies."""

    def __init__(self, private: Ed25519PrivateKey) -> None:
        self._private = private

    @classmethod
    def load_or_create(cls, path: Path) -> NodeKey:
        """The key in ``path``, made there first if there is none. Several
        workers starting together on one document folder all end with the same
        key: the file appears complete or not at all (written aside, then
        hard-linked into place, which fails if another worker was first)."""
        if not path.exists():
            _create(path)
        loaded = serialization.load_pem_private_key(path.read_bytes(), None)
        if not isinstance(loaded, Ed25519PrivateKey):
            raise ValueError(f"{path} holds no Ed25519 key")
        return cls(loaded)

    @classmethod
    def generate(cls) -> NodeKey:
        return cls(Ed25519PrivateKey.generate())

    @property
    def public_hex(self) -> str:
        raw = self._private.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return raw.hex()

    def sign_bytes(self, body: bytes) -> Signed:
        return Signed(body=body, signature=self._private.sign(body))

    def sign(self, value: object) -> Signed:
        return self.sign_bytes(msgspec.json.encode(value))


def _create(path: Path) -> None:
    pem = Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    aside = path.with_name(f"{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
            handle.flush()
            os.fsync(handle.fileno())
        os.link(aside, path)
    except FileExistsError:
        pass  # another worker's key is in place: that one counts
    finally:
        aside.unlink(missing_ok=True)


def verify(signed: Signed, public_hex: str) -> None:
    """Raise ``BadSignature`` unless ``signed`` was signed by that key."""
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_hex))
        key.verify(signed.signature, signed.body)
    except (InvalidSignature, ValueError) as exc:
        raise BadSignature("signature does not verify") from exc


def open_signed(signed: Signed, public_hex: str, kind: type[T]) -> T:
    """Verify, then decode the body as ``kind`` (``msgspec.ValidationError`` or
    ``msgspec.DecodeError`` if it is not one)."""
    verify(signed, public_hex)
    return msgspec.json.decode(signed.body, type=kind)
