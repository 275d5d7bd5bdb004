"""The scanning pipeline's errors: one base class, subclasses by failure class.

Every ``message`` is a German sentence the operator can act on; the command line and
the station's web page show it as is. ``code`` is a stable English key for logs, the
scan log and the JSON sidecar.
"""

from __future__ import annotations

from typing import ClassVar


class ApplianceError(Exception):
    """Base class: something the operator has to know about, in German."""

    code: ClassVar[str] = "appliance-error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadInput(ApplianceError):
    """An input file cannot be read as scanned pages; the rest of the batch goes on."""

    code = "bad-input"


class WrongProfile(ApplianceError):
    """The scan profile asks for something the device or pipeline cannot do."""

    code = "wrong-profile"


class ToolMissing(ApplianceError):
    """An external program (tesseract, scanimage, ghostscript) is not installed."""

    code = "tool-missing"


class ToolFailed(ApplianceError):
    """An external program ran but failed or timed out."""

    code = "tool-failed"


class ScannerError(ApplianceError):
    """The scanner stopped; pages captured so far are kept and the batch can resume."""

    code = "scanner-error"


class FeederEmpty(ScannerError):
    code = "feeder-empty"


class PaperJam(ScannerError):
    code = "paper-jam"


class CoverOpen(ScannerError):
    code = "cover-open"


class DeviceGone(ScannerError):
    code = "device-gone"


class IntegrityError(ApplianceError):
    """A key, the scan log or a signed document does not check out."""

    code = "integrity"
