"""Mounting the eID "Bürger identifizieren" flow (``appliance.eid``) in the station.

The eID package brings a self-contained router; the station only gives it its
settings, its batches' folder (``daten/documents/<batch>``; the identified
submission lands beside the batch's documents and travels with them to the
outbox) and the transfer log.
"""

from __future__ import annotations

from pathlib import Path

from litestar import Router

from appliance.eid.desk import EidDesk
from appliance.eid.pcsc import PcscReaders
from appliance.eid.routes import create_router
from appliance.eid.transferlog import JsonLinesTransferLog
from appliance.station.settings import StationSettings

PATH = "/eid"


def eid_router(settings: StationSettings) -> Router | None:
    """The router at ``/eid``, or ``None`` when the station has no eID settings."""
    if settings.eid is None:
        return None
    data, state = Path(settings.data_dir), Path(settings.state_dir)
    desk = EidDesk(
        sdk_url=settings.eid.sdk_url,
        profiles={service.id: service for service in settings.eid.services},
        batches=data / "documents",
        transfer_log=JsonLinesTransferLog(state / "eid-transfer-log.jsonl"),
        timeout=settings.eid.timeout_seconds,
    )
    return create_router(desk, PcscReaders(), path=PATH)
