"""Typed settings, built once by the command line and passed to ``create_app``."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import msgspec


class Settings(msgspec.Struct, kw_only=True, frozen=True):
    """Everything the marketplace process needs to know at start-up."""

    db_path: Path = Path("var/marketplace.sqlite3")
    # scale-out mode (docs/operations.md): a postgresql:// URL instead of the SQLite
    # file; the folder of ``db_path`` holds the documents unless ``object_store``
    database_url: str = ""
    # document bodies: "" = the folder of ``db_path``; or an S3-compatible store,
    # s3://bucket/prefix?endpoint=http://host:port&region=... (marketplace/objectstore)
    object_store: str = ""
    # its credentials (also from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY); never
    # shown by ``repr``
    s3_access_key: str = ""
    s3_secret_key: str = ""
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
    # delivery engine (marketplace/delivery, docs/connectors.md): runs in this
    # process when ``deliver``; times in seconds
    deliver: bool = True
    delivery_concurrency: int = 4
    delivery_lease: float = 300.0
    delivery_max_attempts: int = 12
    delivery_max_age: float = 172_800.0
    delivery_backoff_base: float = 2.0
    delivery_backoff_cap: float = 900.0
    delivery_retry_after_cap: float = 300.0
    delivery_breaker_threshold: int = 5
    delivery_breaker_cooldown: float = 60.0
    delivery_poll: float = 1.0
    # drop folder routes may only write below this folder (default: <data>/ablage)
    delivery_folder_root: str = ""
    # retention of document bodies (marketplace/documents, docs/operations.md):
    # days a body stays after the last delivery of every submission needing it,
    # hours an unreferenced object is left alone (an upload between store and
    # commit), seconds between purges inside ``serve`` (0: only the command)
    retention_days: float = 30.0
    orphan_grace_hours: float = 24.0
    purge_interval: float = 3600.0
    # fleet runs (marketplace/fleet, docs/provisioning.md): the Ansible project and
    # playbook they execute; "" = ``provisioning/`` and its ``appliance.yml``
    fleet_project_dir: str = ""
    fleet_playbook: str = ""

    def __repr__(self) -> str:
        shown = {
            f.name: "****" if f.name in _SECRETS else getattr(self, f.name)
            for f in msgspec.structs.fields(self)
        }
        return f"Settings({', '.join(f'{k}={v!r}' for k, v in shown.items())})"

    @classmethod
    def from_environ(cls, environ: Mapping[str, str], **overrides: object) -> Settings:
        """Build settings from ``MARKETPLACE_*`` variables; explicit overrides win.
        S3 credentials also come from the AWS standard names."""
        values: dict[str, object] = {}
        for field in msgspec.structs.fields(cls):
            raw = environ.get(f"MARKETPLACE_{field.name.upper()}")
            raw = raw if raw is not None else environ.get(_AWS.get(field.name, ""))
            if raw is not None:
                values[field.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        return msgspec.convert(values, cls, strict=False, dec_hook=_decode)


def _decode(kind: type, value: object) -> object:
    """Environment values are text; paths are made from it."""
    if kind is Path and isinstance(value, str | Path):
        return Path(value)
    raise NotImplementedError(f"no conversion to {kind!r}")


_SECRETS = frozenset({"csrf_secret", "s3_access_key", "s3_secret_key"})
_AWS = {"s3_access_key": "AWS_ACCESS_KEY_ID", "s3_secret_key": "AWS_SECRET_ACCESS_KEY"}
