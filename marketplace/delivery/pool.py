"""One connector per route, built from the route's settings and reused (each holds
an HTTP client with its connection pool); rebuilt when the route changes."""

from __future__ import annotations

import logging

from connectors import registry
from connectors.base import Connector
from marketplace.delivery.schemas import StoredRoute

log = logging.getLogger(__name__)


class ConnectorPool:
    def __init__(self) -> None:
        self._built: dict[int, tuple[str, Connector]] = {}
        self._retired: list[Connector] = []

    async def get(self, route: StoredRoute) -> Connector:
        known = self._built.get(route.id)
        if known is not None and known[0] == route.updated_at:
            return known[1]
        if known is not None:
            # Still in use by deliveries that started before the change.
            self._retired.append(known[1])
        connector = registry.build(route.kind, route.settings)
        self._built[route.id] = (route.updated_at, connector)
        return connector

    async def close(self) -> None:
        for connector in [c for _, c in self._built.values()] + self._retired:
            try:
                await connector.aclose()
            except Exception:  # cleanup: log and close the others
                log.exception("closing a connector failed")
        self._built.clear()
        self._retired.clear()
