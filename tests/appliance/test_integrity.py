"""The appliance's Ed25519 key: created private, reused, refused when damaged."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from appliance.errors import IntegrityError
from appliance.integrity import (
    load_or_create_key,
    load_public_key,
    public_key_text,
    sign,
    signature_valid,
)


def test_key_is_created_once_private_and_reused(tmp_path: Path) -> None:
    """GIVEN no key file
    WHEN the key is loaded twice
    THEN it is created with mode 0600 and the same key comes back."""
    path = tmp_path / "state" / "appliance-key.pem"
    first = load_or_create_key(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert public_key_text(load_or_create_key(path)) == public_key_text(first)


def test_signatures_and_trusted_key_file(tmp_path: Path) -> None:
    """GIVEN a key and its public half exported as PEM
    WHEN a message is signed
    THEN the signature checks against the PEM's key and fails for a changed message."""
    key = load_or_create_key(tmp_path / "k.pem")
    pem = tmp_path / "public.pem"
    pem.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    trusted = load_public_key(pem)
    signature = sign(key, b"Transfervermerk")
    assert signature_valid(trusted, b"Transfervermerk", signature)
    assert not signature_valid(trusted, b"Transfervermerk!", signature)
    assert not signature_valid("kein-schluessel", b"x", signature)


def test_damaged_key_is_refused(tmp_path: Path) -> None:
    """GIVEN a key file with garbage in it
    WHEN it is loaded
    THEN a German IntegrityError says it is damaged (and it is not replaced)."""
    path = tmp_path / "k.pem"
    path.write_text("-----BEGIN PRIVATE KEY-----\nkaputt\n-----END PRIVATE KEY-----\n")
    with pytest.raises(IntegrityError, match="beschädigt"):
        load_or_create_key(path)
    assert "kaputt" in path.read_text()
