"""One ``Route`` per connector kind: builds the connector and counts what arrived."""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from connectors import registry
from connectors.base import Connector
from tests.connectors.conftest import (
    Receiver,
    eakte_settings,
    fitconnect_settings,
    webhook_settings,
)

KINDS = ["fitconnect", "xdomea", "webhook", "dropfolder"]
HTTP_KINDS = ["fitconnect", "xdomea", "webhook"]


@dataclass
class Route:
    kind: str
    receiver: Receiver | None
    folder: Path | None = None
    opened: list[Connector] = field(default_factory=list)

    def connector(self, **overrides: Any) -> Connector:
        settings: dict[str, Any]
        if self.kind == "webhook":
            assert self.receiver is not None
            settings = webhook_settings(self.receiver, **overrides)
        elif self.kind == "xdomea":
            assert self.receiver is not None
            settings = eakte_settings(self.receiver, **overrides)
        elif self.kind == "fitconnect":
            assert self.receiver is not None
            settings = fitconnect_settings(self.receiver, **overrides)
        else:
            assert self.folder is not None
            settings = {"path": str(self.folder), "min_free_bytes": 0} | overrides
        connector = registry.build(self.kind, settings)
        self.opened.append(connector)
        return connector

    def received(self, prefix: str) -> list[dict[str, Any]]:
        """What the receiver holds for keys starting with ``prefix``."""
        if self.receiver is not None:
            return self.receiver.received(prefix)
        assert self.folder is not None
        found = []
        for manifest in sorted(self.folder.glob("*/manifest.json")):
            data = json.loads(manifest.read_text())
            if data["idempotency_key"].startswith(prefix):
                found.append(
                    {"key": data["idempotency_key"], "test": data["test"], "copies": 1}
                )
        return found

    def faults(self, **switches: Any) -> None:
        assert self.receiver is not None
        self.receiver.faults(**switches)

    def take_down(self) -> None:
        if self.receiver is not None:
            self.receiver.stop()
        else:
            assert self.folder is not None
            shutil.rmtree(self.folder)

    def bring_up(self) -> None:
        if self.receiver is not None:
            self.receiver.start()
        else:
            assert self.folder is not None
            self.folder.mkdir(parents=True)
