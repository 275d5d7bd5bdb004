"""The marketplace's errors. Services raise these; the web layer maps them to
RFC 9457 problem responses in one place (``marketplace.problems``).

Every ``detail`` is a German sentence a person can act on.
"""

from __future__ import annotations

from typing import ClassVar


class MarketplaceError(Exception):
    """Base class: a request the marketplace refuses, with a German explanation."""

    status_code: ClassVar[int] = 400
    title: ClassVar[str] = "Ungültige Anfrage"
    slug: ClassVar[str] = "bad-request"

    def __init__(self, detail: str, **extensions: object) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extensions = extensions


class InvalidInput(MarketplaceError):
    """Well-formed request whose values break a rule (format, range, consistency)."""

    status_code = 422
    title = "Ungültige Eingabe"
    slug = "invalid-input"


class NotAuthenticated(MarketplaceError):
    """No or unknown credentials."""

    status_code = 401
    title = "Anmeldung erforderlich"
    slug = "not-authenticated"


class PermissionDenied(MarketplaceError):
    """Known caller, but the role or scope does not allow this."""

    status_code = 403
    title = "Keine Berechtigung"
    slug = "permission-denied"


class NotFound(MarketplaceError):
    """The resource does not exist, or the caller may not know that it does."""

    status_code = 404
    title = "Nicht gefunden"
    slug = "not-found"


class Conflict(MarketplaceError):
    """The request contradicts the current state (duplicate, changed concurrently)."""

    status_code = 409
    title = "Konflikt"
    slug = "conflict"


class InvalidTransition(Conflict):
    """A state machine refuses a transition from the current state."""

    title = "Unzulässiger Zustandswechsel"
    slug = "invalid-transition"
