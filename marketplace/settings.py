"""Typed settings, built once by the command line and passed to ``create_app``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import msgspec


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    """Everything the marketplace process needs to know at start-up."""

    db_path: Path = Path("var/marketplace.sqlite3")
    host: str = "127.0.0.1"
    port: int = 8000
    read_connections: int = 4
    max_body_bytes: int = 1_048_576
    session_hours: int = 12
    secure_cookies: bool = False
    debug: bool = False
    csrf_secret: str = ""
    # federation: seconds between pulls from peers, and without contact until a
    # peer's offers are shown as not currently confirmed
    federation_interval: float = 30.0
    federation_stale_after: float = 900.0

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], **overrides: object) -> Settings:
        """Build settings from ``MARKETPLACE_*`` variables; explicit overrides win."""
        values: dict[str, object] = {}
        for field in msgspec.structs.fields(cls):
            raw = environ.get(f"MARKETPLACE_{field.name.upper()}")
            if raw is not None:
                values[field.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return msgspec.convert(values, cls, strict=False)
