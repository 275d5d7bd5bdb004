"""Every connector kind by name, and building one from a route's settings."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base import Connector
from connectors.dropfolder import DropFolderConnector
from connectors.errors import UnknownConnector
from connectors.fitconnect.connector import FitConnectConnector
from connectors.results import SettingSpec
from connectors.webhook import WebhookConnector
from connectors.xdomea.connector import XdomeaConnector

KINDS: dict[str, type[Connector]] = {
    FitConnectConnector.kind: FitConnectConnector,
    XdomeaConnector.kind: XdomeaConnector,
    WebhookConnector.kind: WebhookConnector,
    DropFolderConnector.kind: DropFolderConnector,
}


def connector_class(kind: str) -> type[Connector]:
    try:
        return KINDS[kind]
    except KeyError:
        known = ", ".join(sorted(KINDS))
        raise UnknownConnector(
            f"Unbekannte Anbindungsart {kind!r}; bekannt: {known}."
        ) from None


def build(kind: str, settings: Mapping[str, Any]) -> Connector:
    """A ready connector; ``InvalidSettings`` names the bad setting."""
    return connector_class(kind).from_settings(settings)


def describe(kind: str) -> tuple[SettingSpec, ...]:
    return connector_class(kind).settings()
