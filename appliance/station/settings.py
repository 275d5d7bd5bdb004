"""The station's settings file (TOML or JSON), decoded once at start-up.

Relative paths in the file are relative to the file's own folder, so a station
folder can be moved as a whole. See ``docs/station.md`` for an example.

``python -m appliance.station.settings FILE`` checks a file without starting
anything (the provisioning role validates the rendered file with it).
"""

from __future__ import annotations

import json
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import msgspec
from msgspec import Meta

from appliance.eid.attributes import ServiceProfile
from appliance.errors import ApplianceError
from appliance.outbox import OutboxSettings
from appliance.settings import PipelineSettings, ScanProfile


class SettingsError(ApplianceError):
    code = "station-settings"


class EidSettings(
    msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True
):
    """The "Bürger identifizieren" page (``appliance.eid``): AusweisApp's SDK
    address and the municipal services that may identify citizens here."""

    sdk_url: str = "ws://127.0.0.1:24727/eID-Kernel"
    services: list[ServiceProfile] = []
    timeout_seconds: Annotated[float, Meta(gt=0)] = 30.0


class StationSettings(
    msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True
):
    """Everything ``appliance serve`` needs.

    ``scanner`` is a SANE device name (``test`` for the SANE test backend); empty
    means the station only takes files from ``input_folder``. With ``auto_commit``
    a document whose routing is confident goes to the outbox as soon as its batch is
    finished; otherwise every document waits for a person's approval.
    """

    host: str = "127.0.0.1"
    port: Annotated[int, Meta(ge=1, le=65535)] = 8080
    data_dir: str = "var/appliance/station"
    state_dir: str = "var/appliance"
    rules_file: str = "rules.toml"
    input_folder: str = "var/appliance/eingang"
    scanner: str = ""
    operator: str = "Poststelle"
    auto_commit: bool = True
    deliver: bool = True
    profiles: list[ScanProfile] = msgspec.field(default_factory=lambda: [ScanProfile()])
    pipeline: PipelineSettings = PipelineSettings()
    outbox: OutboxSettings = OutboxSettings()
    eid: EidSettings | None = None  # without it the station offers no eID page

    def profile(self, name: str) -> ScanProfile:
        for profile in self.profiles:
            if profile.name == name:
                return profile
        raise SettingsError(f"Das Scanprofil „{name}“ ist nicht eingerichtet.")


_PATH_FIELDS = ("data_dir", "state_dir", "rules_file", "input_folder")
_OUTBOX_PATHS = ("folder", "token_file", "credential_dir")


def load_settings(path: Path) -> StationSettings:
    """Read and validate the settings file; relative paths resolved against it."""
    try:
        raw = path.read_bytes()
        data = (
            json.loads(raw) if path.suffix == ".json" else tomllib.loads(raw.decode())
        )
        settings = msgspec.convert(data, StationSettings)
    except FileNotFoundError as exc:
        raise SettingsError(f"Die Einstellungsdatei {path} fehlt.") from exc
    except (ValueError, UnicodeDecodeError, msgspec.ValidationError) as exc:
        raise SettingsError(
            f"Die Einstellungen in {path} sind ungültig: {exc}"
        ) from exc
    base = path.parent.resolve()
    resolved = {f: str(base / getattr(settings, f)) for f in _PATH_FIELDS}
    outbox = msgspec.structs.replace(
        settings.outbox,
        **{
            f: str(base / getattr(settings.outbox, f))
            for f in _OUTBOX_PATHS
            if getattr(settings.outbox, f)
        },
    )
    return msgspec.structs.replace(settings, outbox=outbox, **resolved)


def main(argv: Sequence[str] | None = None) -> int:
    """Check settings files: 0 when every one loads, 1 with the reason otherwise."""
    failed = 0
    for name in sys.argv[1:] if argv is None else argv:
        try:
            load_settings(Path(name))
        except SettingsError as exc:
            print(exc.message, file=sys.stderr)
            failed = 1
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
