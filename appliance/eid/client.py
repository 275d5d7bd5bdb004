"""AusweisApp SDK client: one WebSocket, the authentication workflow as steps.

``SdkClient`` speaks the protocol (commands out, messages in, reader events kept
up to date). ``AuthWorkflow`` turns the message stream of one RUN_AUTH into the
steps the operator page shows: access rights, PIN / CAN / PUK, insert card, done.
PIN, CAN and PUK pass straight through to AusweisApp: they are checked for their
length, never stored, and blanked in every log line.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import re
from collections.abc import Callable
from types import TracebackType
from typing import TypeVar

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from appliance.eid import messages as text
from appliance.eid import sdk
from appliance.eid.errors import (
    AusweisAppUnavailable,
    InvalidInput,
    SdkProtocolError,
    WorkflowFailed,
)

log = logging.getLogger(__name__)
M = TypeVar("M")

DEFAULT_URL = "ws://127.0.0.1:24727/eID-Kernel"
UNAVAILABLE = (
    "Die AusweisApp ist nicht erreichbar. Bitte das Gerät neu starten; hilft das "
    "nicht, den Support informieren."
)


class SdkClient:
    """One connection to AusweisApp; use ``async with SdkClient(url) as client``."""

    def __init__(
        self,
        url: str = DEFAULT_URL,
        *,
        timeout: float = 30.0,
        on_reader: Callable[[sdk.ReaderInfo], None] | None = None,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.readers: dict[str, sdk.ReaderInfo] = {}
        self.status: sdk.Status | None = None
        self._on_reader = on_reader
        self._ws: ClientConnection | None = None

    async def __aenter__(self) -> SdkClient:
        try:
            self._ws = await asyncio.wait_for(
                connect(self.url, max_size=2**20, open_timeout=self.timeout),
                self.timeout,
            )
        except (OSError, InvalidHandshake, InvalidURI, TimeoutError) as exc:
            raise AusweisAppUnavailable(UNAVAILABLE) from exc
        level = await self.request(sdk.command("GET_API_LEVEL"), sdk.ApiLevel)
        if 2 not in level.available:
            raise SdkProtocolError(
                "Diese AusweisApp ist zu alt (SDK-API-Level 2 fehlt). Bitte "
                "AusweisApp 1.24 oder neuer installieren."
            )
        await self.request(sdk.command("SET_API_LEVEL", level=2), sdk.ApiLevel)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._ws is not None:
            await self._ws.close()
            self._ws = None

    async def send(self, cmd: bytes) -> None:
        log.debug("SDK <- %s", sdk.loggable(cmd))
        try:
            await self._connection().send(cmd.decode())
        except ConnectionClosed as exc:
            raise AusweisAppUnavailable(UNAVAILABLE) from exc

    async def receive(self, seconds: float | None = None) -> sdk.Message | sdk.Unknown:
        """The next message; reader events also update ``readers``."""
        try:
            raw = await asyncio.wait_for(
                self._connection().recv(), seconds or self.timeout
            )
        except ConnectionClosed as exc:
            raise AusweisAppUnavailable(UNAVAILABLE) from exc
        except TimeoutError as exc:
            raise AusweisAppUnavailable(
                "Die AusweisApp antwortet nicht mehr. Bitte den Vorgang abbrechen "
                "und neu beginnen."
            ) from exc
        message = sdk.decode(raw)
        log.debug("SDK -> %s", type(message).__name__)
        if isinstance(message, sdk.Reader):
            info = msgspec.convert(msgspec.structs.asdict(message), sdk.ReaderInfo)
            self.readers[info.name] = info
            if self._on_reader is not None:
                self._on_reader(info)
        elif isinstance(message, sdk.Status):
            self.status = message
        return message

    async def expect(self, *types: type[M], seconds: float | None = None) -> M:
        """Read until one of ``types`` arrives; refusals become ``SdkProtocolError``."""
        while True:
            message = await self.receive(seconds)
            if isinstance(message, types):
                return message
            if isinstance(
                message,
                sdk.BadState | sdk.Invalid | sdk.UnknownCommand | sdk.InternalError,
            ):
                raise SdkProtocolError(
                    f"Die AusweisApp hat einen Befehl abgelehnt "
                    f"({type(message).__name__}: {message.error})."
                )

    async def request(self, cmd: bytes, answer: type[M]) -> M:
        await self.send(cmd)
        return await self.expect(answer)

    async def info(self) -> sdk.VersionInfo:
        return (await self.request(sdk.command("GET_INFO"), sdk.Info)).version_info

    async def reader_list(self) -> list[sdk.ReaderInfo]:
        answer = await self.request(sdk.command("GET_READER_LIST"), sdk.ReaderList)
        self.readers = {reader.name: reader for reader in answer.readers}
        return answer.readers

    def _connection(self) -> ClientConnection:
        if self._ws is None:
            raise AusweisAppUnavailable(UNAVAILABLE)
        return self._ws


class StepKind(enum.StrEnum):
    INSERT_CARD = "insert_card"
    ACCESS_RIGHTS = "access_rights"
    ENTER_PIN = "enter_pin"
    ENTER_CAN = "enter_can"
    ENTER_PUK = "enter_puk"
    DONE = "done"


class AuthOutcome(msgspec.Struct, kw_only=True, frozen=True):
    """How the authentication ended; ``url`` is the service's refresh address."""

    ok: bool
    url: str | None = None
    reason: str = ""
    minor: str = ""
    message: str = ""


class Step(msgspec.Struct, kw_only=True, frozen=True):
    """What the workflow waits for; ``prompt`` and ``notice`` are German."""

    kind: StepKind
    prompt: str = ""
    notice: str = ""
    keypad: bool = False
    retry_counter: int | None = None
    access: sdk.AccessRights | None = None
    outcome: AuthOutcome | None = None


_WAITING = (
    sdk.ChangePin,
    sdk.AccessRights,
    sdk.EnterPin,
    sdk.EnterCan,
    sdk.EnterPuk,
    sdk.InsertCard,
    sdk.Auth,
)
_DIGITS = {"PIN": 6, "CAN": 6, "PUK": 10}


class AuthWorkflow:
    """One RUN_AUTH, driven step by step by the operator page."""

    def __init__(self, client: SdkClient) -> None:
        self.client = client
        self.step: Step | None = None
        self._retries: int | None = None

    async def start(self, tc_token_url: str, *, developer_mode: bool = False) -> Step:
        cmd = sdk.command(
            "RUN_AUTH",
            tcTokenURL=tc_token_url,
            developerMode=True if developer_mode else None,
            status=True,
        )
        started = await self.client.request(cmd, sdk.Auth)
        if started.error:
            raise WorkflowFailed(text.SERVICE_SETUP, reason="RUN_AUTH")
        if started.result is not None:  # ended at once
            return self._finish(started)
        return await self.next_step()

    async def next_step(self) -> Step:
        message = await self.client.expect(*_WAITING)
        match message:
            case sdk.AccessRights():
                self.step = Step(
                    kind=StepKind.ACCESS_RIGHTS,
                    prompt=text.PROMPTS["ACCESS_RIGHTS"],
                    access=message,
                )
            case sdk.EnterPin() | sdk.EnterCan() | sdk.EnterPuk():
                self.step = self._secret_step(message)
            case sdk.InsertCard():
                self.step = Step(
                    kind=StepKind.INSERT_CARD, prompt=text.PROMPTS["INSERT_CARD"]
                )
            case sdk.Auth():
                if message.result is None:
                    return await self.next_step()
                self.step = self._finish(message)
            case sdk.ChangePin():  # the PIN change workflow (Transport-PIN)
                if message.success is None:
                    return await self.next_step()
                self.step = Step(
                    kind=StepKind.DONE,
                    outcome=AuthOutcome(
                        ok=message.success,
                        reason=message.reason or "",
                        message=""
                        if message.success
                        else text.failure_message(message.reason),
                    ),
                )
        assert self.step is not None
        return self.step

    async def set_access_rights(self, optional: list[str]) -> Step:
        """Enable exactly ``optional`` of the optional rights (deselect the rest)."""
        answer = await self.client.request(
            sdk.command("SET_ACCESS_RIGHTS", chat=optional), sdk.AccessRights
        )
        if answer.error:
            raise InvalidInput(
                "Die Auswahl der Daten wurde von der AusweisApp abgelehnt: "
                "nur freiwillige Angaben können abgewählt werden."
            )
        self.step = Step(
            kind=StepKind.ACCESS_RIGHTS,
            prompt=text.PROMPTS["ACCESS_RIGHTS"],
            access=answer,
        )
        return self.step

    async def certificate(self) -> sdk.Certificate:
        return await self.client.request(
            sdk.command("GET_CERTIFICATE"), sdk.Certificate
        )

    async def accept(self) -> Step:
        await self.client.send(sdk.command("ACCEPT"))
        return await self.next_step()

    async def enter_pin(self, value: str | None) -> Step:
        return await self._secret("SET_PIN", "PIN", value)

    async def enter_can(self, value: str | None) -> Step:
        return await self._secret("SET_CAN", "CAN", value)

    async def enter_puk(self, value: str | None) -> Step:
        return await self._secret("SET_PUK", "PUK", value)

    async def insert_simulator(self, files: list[dict[str, str]] | None = None) -> Step:
        """Insert AusweisApp's Simulator card (test environments only)."""
        simulator = {"files": files} if files is not None else None
        await self.client.send(
            sdk.command("SET_CARD", name="Simulator", simulator=simulator)
        )
        return await self.next_step()

    async def cancel(self) -> Step:
        """Abort the workflow; returns the final (failed) step."""
        await self.client.send(sdk.command("CANCEL"))
        while True:
            message = await self.client.expect(sdk.Auth, sdk.ChangePin)
            if isinstance(message, sdk.ChangePin):
                if message.success is None:
                    continue
                outcome = AuthOutcome(
                    ok=False, reason="User_Cancelled", message=text.CANCELLED
                )
                self.step = Step(kind=StepKind.DONE, outcome=outcome)
                return self.step
            if isinstance(message, sdk.Auth) and message.result is not None:
                return self._finish(message)

    async def _secret(self, cmd: str, name: str, value: str | None) -> Step:
        keypad = self.step.keypad if self.step else False
        if keypad and value is not None:
            raise InvalidInput(f"Die {name} wird am Lesegerät eingegeben, nicht hier.")
        if not keypad and (
            value is None or not re.fullmatch(rf"\d{{{_DIGITS[name]}}}", value)
        ):
            raise InvalidInput(f"Die {name} hat genau {_DIGITS[name]} Ziffern.")
        await self.client.send(sdk.command(cmd, value=value))
        return await self.next_step()

    def _secret_step(self, message: sdk.EnterPin | sdk.EnterCan | sdk.EnterPuk) -> Step:
        reader = message.reader
        keypad = bool(reader and reader.keypad)
        retries = reader.card.retry_counter if reader and reader.card else None
        notice = ""
        if isinstance(message, sdk.EnterPin):
            kind, key = StepKind.ENTER_PIN, "ENTER_PIN"
            wrong = self.step is not None and self.step.kind is StepKind.ENTER_PIN
            if wrong and retries is not None and retries < (self._retries or 4):
                notice = text.WRONG_PIN.format(retries=retries)
        elif isinstance(message, sdk.EnterCan):
            kind, key = StepKind.ENTER_CAN, "ENTER_CAN"
            if self.step is not None and self.step.kind is StepKind.ENTER_CAN:
                notice = text.WRONG_CAN
            elif retries == 1:
                notice = text.PROMPTS["CAN_BEFORE_LAST_PIN"]
        else:
            kind, key = StepKind.ENTER_PUK, "ENTER_PUK"
            if self.step is not None and self.step.kind is StepKind.ENTER_PUK:
                notice = text.WRONG_PUK
        if message.error:
            notice = f"Die Eingabe wurde nicht angenommen ({message.error})."
        self._retries = retries
        prompt = text.PROMPTS[f"{key}_KEYPAD" if keypad else key]
        return Step(
            kind=kind,
            prompt=prompt,
            notice=notice,
            keypad=keypad,
            retry_counter=retries,
        )

    def _finish(self, message: sdk.Auth) -> Step:
        result = message.result
        assert result is not None
        if result.ok:
            outcome = AuthOutcome(ok=True, url=message.url)
        else:
            outcome = AuthOutcome(
                ok=False,
                url=message.url,
                reason=result.reason or "",
                minor=result.minor or "",
                message=text.failure_message(result.reason, result.minor),
            )
        self.step = Step(kind=StepKind.DONE, outcome=outcome)
        return self.step
