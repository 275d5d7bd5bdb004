"""A small virtual smart card that plugs into ``vpcd`` (the virtual PC/SC reader).

vpcd listens on a TCP port per slot; a card "is inserted" while a client is connected.
Every message in both directions is a 2-byte big-endian length and a payload. A
1-byte payload from vpcd is a control code (0 power off, 1 power on, 2 reset,
4 "send your ATR"); anything longer is a command APDU that gets a response APDU.

The card answers a tiny ISO 7816-4 file system: SELECT by file identifier and
READ BINARY with offsets, so the appliance can read the unprotected EF.CardAccess
the way it does from a real ID card. ``pull_after`` simulates a card taken off the
reader in the middle of a read: the connection is closed when that APDU arrives.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading
import time
from collections.abc import Mapping

CTRL_OFF = 0
CTRL_ON = 1
CTRL_RESET = 2
CTRL_ATR = 4

SW_OK = b"\x90\x00"
SW_NOT_FOUND = b"\x6a\x82"
SW_WRONG_P1P2 = b"\x6b\x00"
SW_NO_EF = b"\x69\x86"
SW_INS_NOT_SUPPORTED = b"\x6d\x00"


class VirtualCard:
    """One card on one vpcd slot; use as a context manager or call insert/remove."""

    def __init__(
        self,
        port: int,
        atr: bytes,
        files: Mapping[int, bytes] | None = None,
        *,
        pull_after: int | None = None,
    ) -> None:
        self.port = port
        self.atr = atr
        self.files = dict(files or {})
        self.pull_after = pull_after
        self.apdus: list[bytes] = []
        self.powered = False
        self._selected: int | None = None
        self._sock: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self.removed = threading.Event()

    def insert(self, timeout: float = 10.0) -> VirtualCard:
        """Connect to vpcd (retrying while pcscd is still opening the port)."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                self._sock = socket.create_connection(("127.0.0.1", self.port), 2)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        self._sock.settimeout(None)
        self.removed.clear()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()
        return self

    def remove(self) -> None:
        """Take the card off the reader: close the connection."""
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
        if self._thread is not None:
            self._thread.join(5)
        self.removed.set()

    def __enter__(self) -> VirtualCard:
        return self.insert()

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def _serve(self) -> None:
        sock = self._sock
        try:
            while sock is not None:
                payload = _receive(sock)
                if payload is None:
                    break
                reply = self._handle(payload)
                if reply is _PULL:
                    break
                if reply is not None:
                    sock.sendall(struct.pack(">H", len(reply)) + reply)
        except OSError:
            pass
        finally:
            if self._sock is sock and sock is not None:
                self._sock = None
                sock.close()
            self.removed.set()

    def _handle(self, payload: bytes) -> bytes | object | None:
        if len(payload) == 1:
            code = payload[0]
            if code == CTRL_ATR:
                return self.atr
            self.powered = code in (CTRL_ON, CTRL_RESET)
            return None
        self.apdus.append(payload)
        if self.pull_after is not None and len(self.apdus) >= self.pull_after:
            return _PULL
        return self.respond(payload)

    def respond(self, apdu: bytes) -> bytes:
        """ISO 7816-4 SELECT (by FID) and READ BINARY; everything else 6D00."""
        ins = apdu[1]
        if ins == 0xA4:
            return self._select(apdu)
        if ins == 0xB0:
            return self._read_binary(apdu)
        return SW_INS_NOT_SUPPORTED

    def _select(self, apdu: bytes) -> bytes:
        p1 = apdu[2]
        if p1 == 0x00 and len(apdu) <= 5:  # select MF
            self._selected = None
            return SW_OK
        data = apdu[5 : 5 + apdu[4]] if len(apdu) > 5 else b""
        if p1 in (0x00, 0x02) and len(data) == 2:
            fid = int.from_bytes(data, "big")
            if fid == 0x3F00:
                self._selected = None
                return SW_OK
            if fid in self.files:
                self._selected = fid
                return SW_OK
        return SW_NOT_FOUND

    def _read_binary(self, apdu: bytes) -> bytes:
        if self._selected is None:
            return SW_NO_EF
        offset = int.from_bytes(apdu[2:4], "big") & 0x7FFF
        le = apdu[4] if len(apdu) > 4 else 0
        le = le or 256
        content = self.files[self._selected]
        if offset > len(content):
            return SW_WRONG_P1P2
        return content[offset : offset + le] + SW_OK


_PULL = object()


def _receive(sock: socket.socket) -> bytes | None:
    header = _exactly(sock, 2)
    if header is None:
        return None
    (length,) = struct.unpack(">H", header)
    return _exactly(sock, length)


def _exactly(sock: socket.socket, size: int) -> bytes | None:
    chunks = b""
    while len(chunks) < size:
        chunk = sock.recv(size - len(chunks))
        if not chunk:
            return None
        chunks += chunk
    return chunks
