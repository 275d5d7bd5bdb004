"""What every reference receiver shares: fault switches, control routes, start-up.

Fault switches (``Faults``) are set on the command line or at run time with
``PUT /_faults``; ``GET /_stats`` and ``GET /_received`` expose the inbox for
counting. ``before`` applies the switches that refuse a request before it is
stored (5xx, size limit, reject); ``after`` applies those that hit after the
receiver stored it (slow answer, garbage answer), which are the hard cases for
a sender: the receiver has it, the sender does not know.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
from pathlib import Path
from typing import Annotated

import msgspec
import uvicorn
from litestar import Litestar, Request, Response, get, post, put
from litestar.datastructures import State
from litestar.params import Body

from connectors.receivers.inbox import Entry, Inbox, Stats

log = logging.getLogger(__name__)


class Faults(msgspec.Struct, kw_only=True, forbid_unknown_fields=True):
    delay: Annotated[float, msgspec.Meta(ge=0)] = 0.0
    fail_status: int = 503
    # How many of the next requests fail with ``fail_status``; -1 means all.
    fail_count: int = 0
    garbage: bool = False
    reject_reason: str = ""
    max_bytes: Annotated[int, msgspec.Meta(ge=0)] = 0
    wrong_key: bool = False


def problem(status: int, title: str, detail: str = "") -> Response[bytes]:
    body = msgspec.json.encode({"title": title, "detail": detail, "status": status})
    return Response(body, status_code=status, media_type="application/problem+json")


def before(state: State, size: int) -> Response[bytes] | None:
    """Refusals that happen before anything is stored; counts the attempt."""
    faults: Faults = state.faults
    inbox: Inbox = state.inbox
    inbox.count("attempts")
    if faults.fail_count != 0:
        if faults.fail_count > 0:
            faults.fail_count -= 1
        inbox.count("failed")
        return problem(faults.fail_status, "Störung (Fehlerschalter)")
    if faults.max_bytes and size > faults.max_bytes:
        inbox.count("too_large")
        return problem(413, "Nutzlast zu groß", f"{size} > {faults.max_bytes} Bytes")
    return None


async def after(state: State) -> Response[bytes] | None:
    """Faults after storing: a slow answer, or an answer nobody can read."""
    faults: Faults = state.faults
    if faults.delay:
        await asyncio.sleep(faults.delay)
    if faults.garbage:
        return Response(b"\x00<<garbage>>", status_code=200, media_type="text/plain")
    return None


@get("/health", sync_to_thread=False)
def health() -> dict[str, str]:
    return {"status": "ok"}


@get("/_stats", sync_to_thread=False)
def stats(state: State) -> Stats:
    inbox: Inbox = state.inbox
    return inbox.stats()


@get("/_received", sync_to_thread=False)
def received(state: State) -> list[Entry]:
    inbox: Inbox = state.inbox
    return inbox.entries()


@put("/_faults", sync_to_thread=False)
def set_faults(state: State, data: Annotated[Faults, Body()]) -> Faults:
    state.faults = data
    log.warning("fault switches now %s", data)
    return data


@post("/_sink")
async def sink(request: Request[object, object, State]) -> Response[bytes]:
    """Reads and discards a body: the plain-POST baseline of the benchmark."""
    body = await request.body()
    return Response(str(len(body)).encode(), status_code=200, media_type="text/plain")


CONTROL = [health, stats, received, set_faults, sink]


def arguments(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument(
        "--data", type=Path, required=True, help="folder for inbox and files"
    )
    parser.add_argument(
        "--delay", type=float, default=0.0, help="answer this many seconds late"
    )
    parser.add_argument(
        "--fail-count", type=int, default=0, help="fail the next N requests (-1: all)"
    )
    parser.add_argument("--fail-status", type=int, default=503)
    parser.add_argument(
        "--garbage", action="store_true", help="answer with unreadable bytes"
    )
    parser.add_argument(
        "--reject-reason", default="", help="reject every submission with this reason"
    )
    parser.add_argument(
        "--max-bytes", type=int, default=0, help="refuse larger payloads (413)"
    )
    parser.add_argument(
        "--wrong-key", action="store_true", help="use a key that does not match"
    )
    return parser


def faults_from(args: argparse.Namespace) -> Faults:
    return Faults(
        delay=args.delay,
        fail_status=args.fail_status,
        fail_count=args.fail_count,
        garbage=args.garbage,
        reject_reason=args.reject_reason,
        max_bytes=args.max_bytes,
        wrong_key=args.wrong_key,
    )


def serve(app: Litestar, host: str, port: int) -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
