"""Real pcscd (with the vsmartcard ``vpcd`` virtual reader) and headless AusweisApp.

pcscd always serves ``/run/pcscd/pcscd.comm`` (the daemon ignores
``PCSCLITE_CSOCK_NAME``), so only one can run on a machine: the tests start their
own with a private reader configuration and refuse to run next to a system pcscd
rather than test the wrong one. vpcd opens two slots, on port P and P+1; the
ports are picked below the kernel's ephemeral range so that client sockets of
other tests cannot hold them.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import time
from pathlib import Path

from smartcard import scard as sc

PCSCD = "/usr/sbin/pcscd"
VPCD_DRIVER = "/usr/lib/pcsc/drivers/serial/libifdvpcd.so"
PID_FILE = Path("/run/pcscd/pcscd.pid")
READER_NAMES = ("Virtual PCD 00 00", "Virtual PCD 00 01")


def two_free_ports() -> int:
    """A port P with P and P+1 free, between 20000 and 32000."""
    for _ in range(200):
        port = random.randrange(20000, 32000)  # noqa: S311 - not for security
        if all(_free(p) for p in (port, port + 1)):
            return port
    raise RuntimeError("no two adjacent free TCP ports found")


def _free(port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("0.0.0.0", port))  # noqa: S104 - vpcd binds all addresses
        except OSError:
            return False
    return True


def _running_pcscd() -> int | None:
    try:
        pid = int(PID_FILE.read_text().strip())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None
    return pid


class Pcscd:
    """Our own pcscd; ``port`` feeds slot 00 00, ``port + 1`` slot 00 01."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.conf = workdir / "reader.conf.d"
        self.log_path = workdir / "pcscd.log"
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Pcscd:
        other = _running_pcscd()
        if other is not None:
            raise RuntimeError(
                f"another pcscd (pid {other}) serves /run/pcscd; stop it for the eID "
                "tests (systemctl stop pcscd.socket pcscd)"
            )
        for _ in range(5):
            self.port = two_free_ports()
            self._write_conf()
            self._spawn()
            if self._wait_for_readers():
                return self
            self.stop()
        raise RuntimeError(f"pcscd did not bring up vpcd:\n{self.log()}")

    def _write_conf(self) -> None:
        self.conf.mkdir(parents=True, exist_ok=True)
        (self.conf / "vpcd").write_text(
            'FRIENDLYNAME "Virtual PCD"\n'
            f"DEVICENAME   /dev/null:0x{self.port:X}\n"
            f"LIBPATH      {VPCD_DRIVER}\n"
            f"CHANNELID    0x{self.port:X}\n"
        )

    def _spawn(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [PCSCD, "--foreground", "--info", "--config", str(self.conf)],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def _wait_for_readers(self, timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                return False
            rc, ctx = sc.SCardEstablishContext(sc.SCARD_SCOPE_USER)
            if rc == sc.SCARD_S_SUCCESS:
                rc, names = sc.SCardListReaders(ctx, [])
                sc.SCardReleaseContext(ctx)
                if rc == sc.SCARD_S_SUCCESS and tuple(names) == READER_NAMES:
                    return True
            if "Address already in use" in self.log():
                return False
            time.sleep(0.1)
        return False

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(10)
        self.process = None

    def log(self) -> str:
        return (
            self.log_path.read_text(errors="replace")[-3000:]
            if self.log_path.exists()
            else ""
        )
