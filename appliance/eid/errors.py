"""The eID layer's errors: one base class, subclasses by failure class.

Every ``message`` is a German sentence the operator can act on; the web layer shows
it as is. ``code`` is a stable English key for logs and the status JSON.
"""

from __future__ import annotations

from typing import ClassVar


class EidError(Exception):
    """Base class: something the operator has to know about, in German."""

    code: ClassVar[str] = "eid-error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ReaderServiceUnavailable(EidError):
    """pcscd does not answer: no reader can be used at all."""

    code = "reader-service-unavailable"


class ReaderGone(EidError):
    """The reader was unplugged or disappeared while in use."""

    code = "reader-gone"


class NoCard(EidError):
    """No card lies on any reader."""

    code = "no-card"


class MultipleCards(EidError):
    """More than one card is in the field; the appliance refuses to guess."""

    code = "multiple-cards"


class CardRemoved(EidError):
    """The card left the reader in the middle of an exchange."""

    code = "card-removed"


class CardUnresponsive(EidError):
    """A card is there but does not answer (badly placed, two cards, defective)."""

    code = "card-unresponsive"


class AusweisAppUnavailable(EidError):
    """AusweisApp is not running or its SDK WebSocket does not answer."""

    code = "ausweisapp-unavailable"


class SdkProtocolError(EidError):
    """AusweisApp answered something the SDK documentation does not allow here."""

    code = "sdk-protocol"


class WorkflowFailed(EidError):
    """The authentication ended with an error result; ``reason`` is AusweisApp's."""

    code = "workflow-failed"

    def __init__(self, message: str, *, reason: str = "", minor: str = "") -> None:
        super().__init__(message)
        self.reason = reason
        self.minor = minor


class EidServiceError(EidError):
    """The municipality's eID service did not deliver a usable result."""

    code = "eid-service"


class InvalidInput(EidError):
    """Operator or citizen input that breaks a rule (PIN length, unknown right)."""

    code = "invalid-input"
