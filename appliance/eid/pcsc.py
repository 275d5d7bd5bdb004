"""Card readers over PC/SC: pcscd through pyscard's thin ``scard`` binding.

Every call opens its own PC/SC context, so a pcscd that restarts (or a reader that
is plugged back in) is picked up without restarting the appliance. Return codes are
turned into the typed errors of ``appliance.eid.errors`` right here; nothing above
this module sees a PC/SC number.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from smartcard import scard as sc

from appliance.eid.atr import CardKind, announces_pace, classify
from appliance.eid.errors import (
    CardRemoved,
    CardUnresponsive,
    EidError,
    NoCard,
    ReaderGone,
    ReaderServiceUnavailable,
)
from appliance.eid.readers import CardProbe, ReaderStatus, SlotState

log = logging.getLogger(__name__)

PNP_READER = "\\\\?PnP?\\Notification"
CARD_ACCESS_FID = bytes.fromhex("011C")
MAX_EF_BYTES = 4096

_SERVICE_DOWN = {sc.SCARD_E_NO_SERVICE, sc.SCARD_E_SERVICE_STOPPED}
_READER_GONE = {sc.SCARD_E_UNKNOWN_READER, sc.SCARD_E_READER_UNAVAILABLE}
_CARD_GONE = {sc.SCARD_W_REMOVED_CARD, sc.SCARD_E_NO_SMARTCARD, sc.SCARD_W_RESET_CARD}
_COMM = {sc.SCARD_E_COMM_DATA_LOST, sc.SCARD_F_COMM_ERROR, sc.SCARD_E_NOT_TRANSACTED}

MSG_SERVICE = (
    "Der Kartenleser-Dienst (pcscd) läuft nicht. Bitte das Gerät neu starten; "
    "hilft das nicht, den Support informieren."
)
MSG_READER_GONE = (
    "Das Lesegerät ist nicht mehr verbunden. Bitte das Kabel prüfen und den "
    "Vorgang neu beginnen."
)
MSG_CARD_GONE = (
    "Der Ausweis wurde während des Lesens entfernt. Bitte wieder auflegen und "
    "liegen lassen, bis der Vorgang abgeschlossen ist."
)
MSG_MUTE = (
    "Die Karte antwortet nicht. Bitte nur eine Karte mittig auflegen; liegen "
    "zwei Karten übereinander, antwortet keine."
)


def _fail(rc: int, what: str) -> EidError:
    """The typed error for a PC/SC return code."""
    log.info("PC/SC %s failed: %s (0x%08X)", what, sc.SCardGetErrorMessage(rc), rc)
    if rc in _SERVICE_DOWN:
        return ReaderServiceUnavailable(MSG_SERVICE)
    if rc in _READER_GONE:
        return ReaderGone(MSG_READER_GONE)
    if rc == sc.SCARD_E_NO_SMARTCARD:
        return NoCard("Es liegt kein Ausweis auf dem Lesegerät.")
    if rc in _CARD_GONE or rc in _COMM:
        return CardRemoved(MSG_CARD_GONE)
    if rc == sc.SCARD_W_UNRESPONSIVE_CARD:
        return CardUnresponsive(MSG_MUTE)
    return EidError(f"Fehler am Lesegerät ({sc.SCardGetErrorMessage(rc)}).")


@contextmanager
def _context() -> Iterator[Any]:
    rc, ctx = sc.SCardEstablishContext(sc.SCARD_SCOPE_USER)
    if rc != sc.SCARD_S_SUCCESS:
        raise _fail(rc, "establish context")
    try:
        yield ctx
    finally:
        sc.SCardReleaseContext(ctx)


def _list(ctx: Any) -> list[str]:
    rc, names = sc.SCardListReaders(ctx, [])
    if rc == sc.SCARD_E_NO_READERS_AVAILABLE:
        return []
    if rc != sc.SCARD_S_SUCCESS:
        raise _fail(rc, "list readers")
    return list(names)


def _slot(event: int) -> SlotState:
    if event & sc.SCARD_STATE_UNAVAILABLE or event & sc.SCARD_STATE_UNKNOWN:
        return SlotState.UNAVAILABLE
    if event & sc.SCARD_STATE_MUTE:
        return SlotState.MUTE
    if event & sc.SCARD_STATE_PRESENT:
        return (
            SlotState.IN_USE if event & sc.SCARD_STATE_EXCLUSIVE else SlotState.PRESENT
        )
    return SlotState.EMPTY


class PcscReaders:
    """``ReaderBackend`` over pcscd. ``known_atrs`` adds ATRs (hex) to the table."""

    def __init__(self, known_atrs: Mapping[str, CardKind] | None = None) -> None:
        self.known_atrs = dict(known_atrs or {})

    def snapshot(self) -> list[ReaderStatus]:
        with _context() as ctx:
            return self._statuses(ctx, self._raw_states(ctx, _list(ctx)))

    def wait_for_change(
        self, known: Sequence[ReaderStatus], timeout: float
    ) -> list[ReaderStatus]:
        deadline = time.monotonic() + timeout
        with _context() as ctx:
            names = _list(ctx)
            raw = self._raw_states(ctx, names)
            current = self._statuses(ctx, raw)
            if current != list(known):
                return current
            pnp = (PNP_READER, len(names) << 16)
            watched = [
                (name, event & ~sc.SCARD_STATE_CHANGED) for name, event, _ in raw
            ]
            millis = max(0, int((deadline - time.monotonic()) * 1000))
            rc, _ = sc.SCardGetStatusChange(ctx, millis, [*watched, pnp])
            if rc not in (sc.SCARD_S_SUCCESS, sc.SCARD_E_TIMEOUT):
                raise _fail(rc, "wait for change")
            return self._statuses(ctx, self._raw_states(ctx, _list(ctx)))

    def probe(self, reader: str) -> CardProbe:
        with _context() as ctx:
            rc, handle, protocol = sc.SCardConnect(
                ctx,
                reader,
                sc.SCARD_SHARE_SHARED,
                sc.SCARD_PROTOCOL_T0 | sc.SCARD_PROTOCOL_T1,
            )
            if rc != sc.SCARD_S_SUCCESS:
                raise _fail(rc, "connect")
            try:
                atr = self._atr(handle)
                pace = announces_pace(self._read_card_access(handle, protocol))
            finally:
                sc.SCardDisconnect(handle, sc.SCARD_LEAVE_CARD)
        kind = classify(atr, pace=pace, extra=self.known_atrs)
        return CardProbe(reader=reader, atr=atr.hex().upper(), kind=kind, pace=pace)

    # -- helpers -------------------------------------------------------------

    def _raw_states(self, ctx: Any, names: list[str]) -> list[tuple[str, int, bytes]]:
        if not names:
            return []
        rc, states = sc.SCardGetStatusChange(
            ctx, 0, [(name, sc.SCARD_STATE_UNAWARE) for name in names]
        )
        if rc in _READER_GONE:  # unplugged between listing and asking
            return self._raw_states(ctx, _list(ctx))
        if rc not in (sc.SCARD_S_SUCCESS, sc.SCARD_E_TIMEOUT):
            raise _fail(rc, "status")
        return [(name, event, bytes(atr)) for name, event, atr in states]

    def _statuses(
        self, ctx: Any, raw: list[tuple[str, int, bytes]]
    ) -> list[ReaderStatus]:
        result = []
        for name, event, atr in raw:
            slot = _slot(event)
            has_atr = slot in (SlotState.PRESENT, SlotState.IN_USE) and atr
            result.append(
                ReaderStatus(
                    reader=name,
                    state=slot,
                    atr=atr.hex().upper() if has_atr else "",
                    card=self._kind_from_atr(atr) if has_atr else None,
                )
            )
        return result

    def _kind_from_atr(self, atr: bytes) -> CardKind | None:
        """Known ATRs only; an unknown one needs ``probe`` before it is named."""
        kind = classify(atr, extra=self.known_atrs)
        return None if kind is CardKind.OTHER else kind

    def _atr(self, handle: Any) -> bytes:
        rc, _reader, _state, _protocol, atr = sc.SCardStatus(handle)
        if rc != sc.SCARD_S_SUCCESS:
            raise _fail(rc, "status")
        return bytes(atr)

    def _transmit(self, handle: Any, protocol: int, apdu: bytes) -> tuple[bytes, int]:
        rc, response = sc.SCardTransmit(handle, protocol, list(apdu))
        if rc != sc.SCARD_S_SUCCESS:
            raise _fail(rc, "transmit")
        if len(response) < 2:  # vpcd and some readers: success with nothing back
            raise CardRemoved(MSG_CARD_GONE)
        data = bytes(response)
        return data[:-2], int.from_bytes(data[-2:], "big")

    def _read_card_access(self, handle: Any, protocol: int) -> bytes:
        """EF.CardAccess (unprotected, no personal data) or b"" if there is none."""
        select = bytes.fromhex("00A4020C02") + CARD_ACCESS_FID
        _, sw = self._transmit(handle, protocol, select)
        if sw != 0x9000:
            return b""
        content = b""
        while len(content) < MAX_EF_BYTES:
            offset = len(content).to_bytes(2, "big")
            chunk, sw = self._transmit(handle, protocol, b"\x00\xb0" + offset + b"\xdf")
            content += chunk
            if sw != 0x9000 or len(chunk) < 0xDF:
                break
        return content
