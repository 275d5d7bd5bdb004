"""Where the demo flow keeps its state and which loopback ports it uses."""

from __future__ import annotations

from pathlib import Path

import msgspec

from marketplace.demo.receivers import DEFAULT_PORTS, Ports

HOST = "127.0.0.1"
STATION_NAME = "scanstation-dresden"
STATION_USER = "poststelle"
STATION_PASSWORD = "demo-poststelle"  # noqa: S105 - the demo's documented login
PROFILE = "Beispielpost 150 dpi"


class FlowConfig(msgspec.Struct, kw_only=True, frozen=True):
    """Everything a run of the flow needs; the defaults are the README's demo.

    ``var`` holds all state: the marketplace database (``marketplace.sqlite3``,
    the same file ``./scripts/demo`` always used), the receivers' data, the drop
    folders (``ablage/``) and the station (``station/``). ``pages`` > 0 repeats
    the sample documents until at least that many sheets are fed (benchmarks).
    """

    var: Path = Path("var")
    marketplace_port: int = 8000
    receiver_ports: Ports = DEFAULT_PORTS
    station_port: int = 8080
    replica_port: int | None = 8100  # the second node; None: no federation
    # The scale-out mode (docs/operations.md): the marketplace on PostgreSQL with
    # several workers; the second node stays on its SQLite file.
    database_url: str = ""
    workers: int = 1
    seed: int = 1
    dpi: int = 150
    pages: int = 0
    batch_timeout: float = 900.0  # the station scanning the sample mail
    settle_timeout: float = 300.0  # then: every document delivered or held
    delivery_poll: float = 0.2  # the marketplace engine's idle poll (seconds)

    @property
    def db(self) -> Path:
        return self.var / "marketplace.sqlite3"

    @property
    def on_postgres(self) -> bool:
        return bool(self.database_url)

    @property
    def replica_db(self) -> Path:
        return self.var / "knoten-zweit.sqlite3"

    @property
    def replica_url(self) -> str:
        return f"http://{HOST}:{self.replica_port}"

    @property
    def receivers_data(self) -> Path:
        return self.var / "demo-receivers"

    @property
    def station(self) -> Path:
        return self.var / "station"

    @property
    def station_settings(self) -> Path:
        return self.station / "station.toml"

    @property
    def credential_dir(self) -> Path:
        return self.station / "geraet"

    @property
    def input_folder(self) -> Path:
        return self.station / "eingang"

    @property
    def samples(self) -> Path:
        """The generated sample mail and its ground truth (kept for the report)."""
        return self.station / "beispielpost"

    @property
    def state_file(self) -> Path:
        """What the flow fed and which batch it started (idempotent restarts)."""
        return self.station / "ablauf.json"

    @property
    def marketplace_url(self) -> str:
        return f"http://{HOST}:{self.marketplace_port}"

    @property
    def station_url(self) -> str:
        return f"http://{HOST}:{self.station_port}"

    def receiver_url(self, kind: str) -> str:
        return f"http://{HOST}:{getattr(self.receiver_ports, kind)}"
