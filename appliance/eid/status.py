"""``appliance eid status``: readers, cards and AusweisApp as JSON.

For the operator page, the health check and support: which readers pcscd sees,
what lies on them, and whether AusweisApp answers (its version and its own reader
list, which includes the Simulator). Failures are reported in the JSON (German
``error`` fields), never as a traceback; the exit code is 0 only when both the
reader service and AusweisApp answer.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

import msgspec

from appliance.eid import ausweisapp
from appliance.eid.client import DEFAULT_URL, SdkClient
from appliance.eid.errors import EidError
from appliance.eid.pcsc import PcscReaders
from appliance.eid.readers import ReaderBackend


class ReaderReport(msgspec.Struct, kw_only=True, frozen=True):
    reader: str
    state: str
    label: str
    atr: str = ""
    card: str | None = None


class AusweisAppReport(msgspec.Struct, kw_only=True, frozen=True):
    reachable: bool
    url: str
    installed_version: str | None = None
    version: str | None = None
    readers: list[dict[str, object]] = []
    error: str | None = None


class EidStatus(msgspec.Struct, kw_only=True, frozen=True):
    readers: list[ReaderReport]
    reader_error: str | None = None
    ausweisapp: AusweisAppReport

    @property
    def ok(self) -> bool:
        return self.reader_error is None and self.ausweisapp.reachable


def reader_report(backend: ReaderBackend) -> tuple[list[ReaderReport], str | None]:
    try:
        statuses = backend.snapshot()
    except EidError as exc:
        return [], exc.message
    return [
        ReaderReport(
            reader=s.reader,
            state=s.state.value,
            label=s.label,
            atr=s.atr,
            card=s.card.value if s.card else None,
        )
        for s in statuses
    ], None


async def ausweisapp_report(url: str, seconds: float) -> AusweisAppReport:
    installed = await asyncio.to_thread(ausweisapp.version)
    try:
        async with SdkClient(url, timeout=seconds) as client:
            info = await client.info()
            readers = await client.reader_list()
    except EidError as exc:
        return AusweisAppReport(
            reachable=False, url=url, installed_version=installed, error=exc.message
        )
    return AusweisAppReport(
        reachable=True,
        url=url,
        installed_version=installed,
        version=info.implementation_version,
        readers=[msgspec.to_builtins(r) for r in readers],
    )


async def collect(backend: ReaderBackend, url: str, seconds: float = 5.0) -> EidStatus:
    readers, error = await asyncio.to_thread(reader_report, backend)
    return EidStatus(
        readers=readers,
        reader_error=error,
        ausweisapp=await ausweisapp_report(url, seconds),
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``appliance eid status``."""
    parser = argparse.ArgumentParser(prog="appliance eid status", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--sdk-url", default=DEFAULT_URL, help="AusweisApp SDK WebSocket"
    )
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per answer")


def run(args: argparse.Namespace) -> int:
    status = asyncio.run(collect(PcscReaders(), args.sdk_url, args.timeout))
    sys.stdout.write(msgspec.json.format(msgspec.json.encode(status)).decode() + "\n")
    return 0 if status.ok else 1
