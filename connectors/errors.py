"""Errors of the connector layer; each message says what to do about it."""

from __future__ import annotations


class ConnectorError(Exception):
    """Base of every error raised by ``connectors``."""


class InvalidSubmission(ConnectorError):
    """The submission itself is wrong; no receiver will ever take it as it is."""


class InvalidSettings(ConnectorError):
    """A route's settings are missing or malformed; fix the route, then retry."""


class UnknownConnector(ConnectorError):
    """No connector of that kind exists."""
