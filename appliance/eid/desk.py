"""The operator's "Bürger identifizieren" flow, one citizen at a time.

The desk keeps one SDK connection open while a citizen is identified and turns
each operator action into the next AusweisApp step. After a successful
authentication it fetches the result from the municipality's eID service,
minimises it, and shows what would be passed on; only the operator's
confirmation attaches it to the batch (and writes the transfer log). Every
failure ends in a German message and an idle desk; nothing is kept.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Mapping
from pathlib import Path
from typing import Literal
from urllib.parse import parse_qs, urlparse

import httpx
import msgspec

from appliance.eid import submission as sub
from appliance.eid.attributes import (
    DATA_RIGHTS,
    KeptAttribute,
    ServiceProfile,
    label,
    minimise,
)
from appliance.eid.client import AuthWorkflow, SdkClient, Step, StepKind
from appliance.eid.errors import EidError, EidServiceError, InvalidInput
from appliance.eid.messages import CANCELLED
from appliance.eid.transferlog import TransferLogWriter

log = logging.getLogger(__name__)


class Phase(enum.StrEnum):
    IDLE = "idle"
    INSERT_CARD = "insert_card"
    ACCESS_RIGHTS = "access_rights"
    ENTER_PIN = "enter_pin"
    ENTER_CAN = "enter_can"
    ENTER_PUK = "enter_puk"
    REVIEW = "review"
    DONE = "done"
    FAILED = "failed"


class RightRow(msgspec.Struct, kw_only=True, frozen=True):
    right: str
    label: str
    required: bool
    selected: bool
    data: bool


class DeskView(msgspec.Struct, kw_only=True, frozen=True):
    """Everything the page shows; German texts only."""

    phase: Phase = Phase.IDLE
    service: str = ""
    batch_id: str = ""
    prompt: str = ""
    notice: str = ""
    error: str = ""
    keypad: bool = False
    retry_counter: int | None = None
    rights: list[RightRow] = []
    provider: str = ""
    purpose_text: str = ""
    on_site: bool = False
    kept: list[KeptAttribute] = []
    recipient: str = ""
    submission_id: str = ""


async def fetch_result(
    profile: ServiceProfile, refresh_url: str | None
) -> dict[str, object]:
    """The eID service's result for this session: ``{"attributes": {...}}``."""
    url = profile.result_url or refresh_url
    if not url or not refresh_url:
        raise EidServiceError("Der eID-Dienst hat keine Rücksprungadresse geliefert.")
    ref = parse_qs(urlparse(refresh_url).query).get("refID", [""])[0]
    try:
        async with httpx.AsyncClient(timeout=15) as http:
            answer = await http.get(
                url, params={"refID": ref} if profile.result_url else None
            )
        answer.raise_for_status()
        body = answer.json()
    except (httpx.HTTPError, ValueError) as exc:
        raise EidServiceError(
            "Das Ergebnis des eID-Dienstes konnte nicht abgeholt werden. Es wurde "
            "nichts übernommen; bitte den Vorgang wiederholen."
        ) from exc
    attributes = body.get("attributes") if isinstance(body, dict) else None
    if not isinstance(attributes, dict):
        raise EidServiceError(
            "Das Ergebnis des eID-Dienstes hat kein Feld „attributes“."
        )
    return attributes


class EidDesk:
    def __init__(
        self,
        *,
        sdk_url: str,
        profiles: Mapping[str, ServiceProfile],
        batches: Path,
        transfer_log: TransferLogWriter,
        timeout: float = 30.0,
    ) -> None:
        self.sdk_url = sdk_url
        self.profiles = dict(profiles)
        self.batches = batches
        self.transfer_log = transfer_log
        self.timeout = timeout
        self.view = DeskView()
        self._lock = asyncio.Lock()
        self._client: SdkClient | None = None
        self._workflow: AuthWorkflow | None = None
        self._profile: ServiceProfile | None = None
        self._effective: list[str] = []
        self._pending: sub.IdentifiedSubmission | None = None
        self._operator = ""

    async def start(self, service: str, batch_id: str, operator: str) -> DeskView:
        async with self._lock:
            if self.view.phase not in (Phase.IDLE, Phase.DONE, Phase.FAILED):
                raise InvalidInput("Es läuft schon eine Identifizierung.")
            profile = self.profiles.get(service)
            if profile is None:
                raise InvalidInput(
                    f"Den Dienst „{service}“ gibt es auf diesem Gerät nicht."
                )
            if not batch_id or not (self.batches / batch_id).is_dir():
                raise InvalidInput(f"Den Stapel „{batch_id}“ gibt es nicht.")
            self._profile = profile
            self._operator = operator
            self.view = DeskView(service=profile.name, batch_id=batch_id)
            return await self._run(self._begin(profile))

    async def _begin(self, profile: ServiceProfile) -> Step:
        self._client = await SdkClient(self.sdk_url, timeout=self.timeout).__aenter__()
        self._workflow = AuthWorkflow(self._client)
        return await self._workflow.start(
            profile.tc_token_url, developer_mode=profile.developer_mode
        )

    async def advance(self, wait: float = 1.0) -> DeskView:
        """While the citizen puts the card on the reader: look for the next step."""
        async with self._lock:
            if self.view.phase is not Phase.INSERT_CARD or self._workflow is None:
                return self.view
            try:
                step = await asyncio.wait_for(self._workflow.next_step(), wait)
            except TimeoutError:
                return self.view
            return await self._run(_done(step))

    async def choose_rights(self, optional: list[str]) -> DeskView:
        """Keep only ``optional`` of the optional rights, then the citizen confirms."""
        async with self._lock:
            workflow = self._expect(Phase.ACCESS_RIGHTS)
            unknown = set(optional) - {
                r.right for r in self.view.rights if not r.required
            }
            if unknown:
                raise InvalidInput(
                    "Nur freiwillige Angaben können ab- oder angewählt werden."
                )
            offered = {r.right for r in self.view.rights if not r.required}
            selected = {
                r.right for r in self.view.rights if not r.required and r.selected
            }
            if offered and set(optional) != selected:
                await self._run(workflow.set_access_rights(sorted(optional)))
                if self.view.phase is not Phase.ACCESS_RIGHTS:
                    return self.view
            return await self._run(workflow.accept())

    async def enter_secret(self, value: str | None) -> DeskView:
        async with self._lock:
            phase = self.view.phase
            workflow = self._expect(Phase.ENTER_PIN, Phase.ENTER_CAN, Phase.ENTER_PUK)
            enter = {
                Phase.ENTER_PIN: workflow.enter_pin,
                Phase.ENTER_CAN: workflow.enter_can,
                Phase.ENTER_PUK: workflow.enter_puk,
            }[phase]
            try:
                step = await enter(value or None)
            except InvalidInput as exc:  # wrong length: stay on the step, nothing sent
                self.view = msgspec.structs.replace(self.view, notice=exc.message)
                return self.view
            return await self._run(_done(step))

    async def cancel(self) -> DeskView:
        async with self._lock:
            if self._workflow is not None and self.view.phase not in (Phase.REVIEW,):
                try:
                    await self._workflow.cancel()
                except EidError:
                    log.info("cancel after AusweisApp ended", exc_info=True)
            await self._close()
            self._pending = None
            self.view = DeskView(phase=Phase.FAILED, error=CANCELLED)
            return self.view

    async def confirm(self) -> DeskView:
        """Attach the reviewed result to the batch and log every attribute."""
        async with self._lock:
            self._expect(Phase.REVIEW)
            pending = self._pending
            assert pending is not None
            try:
                await sub.attach(
                    self.batches / pending.batch_id,
                    pending,
                    self.transfer_log,
                    environment=self._environment(),
                )
            except EidError as exc:
                self.view = DeskView(phase=Phase.FAILED, error=exc.message)
                return self.view
            self._pending = None
            self.view = msgspec.structs.replace(
                self.view, phase=Phase.DONE, submission_id=pending.id, prompt=""
            )
            return self.view

    async def discard(self) -> DeskView:
        async with self._lock:
            self._pending = None
            self.view = DeskView(phase=Phase.FAILED, error=CANCELLED)
            return self.view

    # -- internals -------------------------------------------------------------

    def _environment(self) -> Literal["test", "production"]:
        testing = self._profile is not None and self._profile.developer_mode
        return "test" if testing else "production"

    def _expect(self, *phases: Phase) -> AuthWorkflow:
        if self.view.phase not in phases or (
            self._workflow is None and Phase.REVIEW not in phases
        ):
            raise InvalidInput(
                "Dieser Schritt passt nicht zum Stand der Identifizierung."
            )
        return self._workflow  # type: ignore[return-value]

    async def _run(self, action: Awaitable[Step]) -> DeskView:
        try:
            step = await action
        except EidError as exc:
            await self._close()
            self.view = DeskView(phase=Phase.FAILED, error=exc.message)
            return self.view
        return await self._show(step)

    async def _show(self, step: Step) -> DeskView:
        if step.kind is StepKind.DONE:
            return await self._finish(step)
        view = msgspec.structs.replace(
            self.view,
            phase=Phase(step.kind.value),
            prompt=step.prompt,
            notice=step.notice,
            keypad=step.keypad,
            retry_counter=step.retry_counter,
        )
        if step.access is not None:
            chat = step.access.chat
            self._effective = list(chat.effective)
            view = msgspec.structs.replace(
                view,
                rights=[
                    RightRow(
                        right=r,
                        label=label(r),
                        required=r in chat.required,
                        selected=r in chat.effective,
                        data=r in DATA_RIGHTS,
                    )
                    for r in [
                        *chat.required,
                        *[o for o in chat.optional if o not in chat.required],
                    ]
                ],
                on_site="CanAllowed" in chat.effective,
                purpose_text=step.access.transaction_info or "",
            )
        self.view = view
        return view

    async def _finish(self, step: Step) -> DeskView:
        outcome = step.outcome
        await self._close()
        assert outcome is not None
        assert self._profile is not None
        if not outcome.ok:
            self.view = DeskView(phase=Phase.FAILED, error=outcome.message)
            return self.view
        try:
            raw = await fetch_result(self._profile, outcome.url)
            kept = minimise(raw, effective=self._effective, profile=self._profile)
        except EidError as exc:
            self.view = DeskView(phase=Phase.FAILED, error=exc.message)
            return self.view
        method = sub.Method.ON_SITE if self.view.on_site else sub.Method.EID_ONLINE
        self._pending = sub.build(
            batch_id=self.view.batch_id,
            profile=self._profile,
            method=method,
            operator=self._operator,
            attributes=kept,
        )
        self.view = msgspec.structs.replace(
            self.view,
            phase=Phase.REVIEW,
            prompt="Diese Angaben werden mit dem Stapel an das Fachverfahren übergeben.",
            notice="",
            kept=kept,
            recipient=self._profile.recipient,
        )
        return self.view

    async def _close(self) -> None:
        client, self._client, self._workflow = self._client, None, None
        if client is not None:
            await client.__aexit__(None, None, None)


async def _done(step: Step) -> Step:
    return step
