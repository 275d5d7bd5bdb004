"""The whole flow on one machine (issue 8): the marketplace with the demo catalog,
the reference receivers and a scan station that scans the sample mail and
delivers it, signed with its own device credential, to the marketplace intake,
which routes it to Dresden's subscriptions and on into the receivers.

``./scripts/demo`` runs ``python -m marketplace.demo.flow``; tests and the
benchmark use ``Flow`` and ``FlowConfig`` directly.
"""

from __future__ import annotations

from marketplace.demo.flow.config import FlowConfig
from marketplace.demo.flow.run import Flow, FlowResult
from marketplace.demo.flow.station import FlowError

__all__ = ["Flow", "FlowConfig", "FlowError", "FlowResult"]
