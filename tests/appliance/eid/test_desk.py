"""The operator flow end to end: page, desk, SDK client, eID-service result.

AusweisApp's side after the eID server's certificate check is replayed from the
recordings in ``recordings/`` (a state-certified eID server and a real card are
needed for it; see ``replay.py``); the page, the desk, the SDK client over a real
WebSocket, the HTTP fetch of the result from the local eID-service stub, the batch
sidecar and the transfer log are all real.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from appliance.eid import messages
from appliance.eid.attributes import ServiceProfile
from appliance.eid.client import AuthWorkflow, SdkClient, StepKind
from appliance.eid.desk import EidDesk, Phase
from appliance.eid.readers import CardProbe, ReaderStatus, SlotState
from appliance.eid.routes import create_router
from appliance.eid.submission import load
from appliance.eid.transferlog import JsonLinesTransferLog
from tests.appliance.eid.eidservice_stub import EidServiceStub
from tests.appliance.eid.replay import Replay

TC = "https://eid.kommune.example/tcToken"
RESULT = {
    "FamilyName": "MUSTERMANN",
    "GivenNames": "ERIKA",
    "DateOfBirth": "1964-08-12",
    "Address": {
        "street": "HEIDESTRASSE 17",
        "zipCode": "51147",
        "city": "KÖLN",
        "country": "D",
    },
    "AgeVerification": True,
    "DocumentType": "ID",
    "PIN": "123456",
    "EF.DG2": "ffd8ffe0",
}


class OneReader:
    """Reader backend with a card lying on one reader (the page only lists it;
    pcscd itself is covered by test_pcsc.py)."""

    def snapshot(self) -> list[ReaderStatus]:
        return [ReaderStatus(reader="Virtual PCD 00 00", state=SlotState.PRESENT)]

    def wait_for_change(
        self, known: Sequence[ReaderStatus], timeout: float
    ) -> list[ReaderStatus]:
        return self.snapshot()

    def probe(self, reader: str) -> CardProbe:
        raise NotImplementedError


def profile(stub: EidServiceStub, attributes: list[str]) -> ServiceProfile:
    return ServiceProfile(
        id="wohngeld",
        name="Wohngeld",
        tc_token_url=TC,
        result_url=f"{stub.base}/result",
        recipient="fv-wohngeld",
        purpose="Antrag auf Wohngeld",
        legal_basis="§ 23 WoGG",
        attributes=attributes,
    )


def desk_for(tmp_path: Path, url: str, service: ServiceProfile) -> EidDesk:
    (tmp_path / "batches" / "B-0001").mkdir(parents=True)
    return EidDesk(
        sdk_url=url,
        profiles={service.id: service},
        batches=tmp_path / "batches",
        transfer_log=JsonLinesTransferLog(tmp_path / "transfer.jsonl"),
        timeout=5,
    )


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


async def test_operator_identifies_a_citizen_with_deselection_and_a_wrong_pin(
    tmp_path: Path,
) -> None:
    """GIVEN a service asking for name, address, and optionally given names, date of
    birth and age, and an eID service that returns more than that (even a PIN and a
    raw data group)
    WHEN the operator starts, leaves only the age verification selected, the citizen
    types a short PIN, a wrong PIN and then the right one, and the operator confirms
    THEN the page shows each German step, the batch gets exactly name, address and
    "over 18: yes", and the transfer log one entry per attribute."""
    with EidServiceStub() as stub:
        stub.results["R1"] = {"attributes": RESULT}
        refresh = f"{stub.base}/refresh?refID=R1"
        service = profile(
            stub,
            ["FamilyName", "GivenNames", "Address", "AgeVerification", "DateOfBirth"],
        )
        async with Replay(
            "online-deselect-wrong-pin", tc=TC, refresh=refresh
        ) as replay:
            desk = desk_for(tmp_path, replay.url, service)
            app = Litestar(route_handlers=[create_router(desk, OneReader())])
            async with AsyncTestClient(app) as http:
                page = await http.post(
                    "/eid/start",
                    data={"service": "wohngeld", "batch": "B-0001"},
                    follow_redirects=True,
                )
                shown = text_of(page.text)
                assert "Virtual PCD 00 00: Karte aufgelegt" in shown
                assert "Geburtsdatum" in shown
                assert "Familienname Pflichtangabe" in shown
                await http.post("/eid/rights", data={"optional": "AgeVerification"})
                assert desk.view.phase is Phase.INSERT_CARD
                assert desk.view.prompt == messages.PROMPTS["INSERT_CARD"]
                for _ in range(20):
                    page = await http.get("/eid/")
                    if desk.view.phase is Phase.ENTER_PIN:
                        break
                assert messages.PROMPTS["ENTER_PIN"] in page.text
                page = await http.post(
                    "/eid/secret", data={"value": "12"}, follow_redirects=True
                )
                assert "genau 6 Ziffern" in page.text
                page = await http.post(
                    "/eid/secret", data={"value": "111111"}, follow_redirects=True
                )
                assert "Die PIN war falsch. Verbleibende Versuche: 2." in page.text
                page = await http.post(
                    "/eid/secret", data={"value": "123456"}, follow_redirects=True
                )
                shown = text_of(page.text)
                assert "Altersbestätigung (nur ja/nein) ja" in shown
                assert "HEIDESTRASSE 17, 51147 KÖLN" in shown
                for hidden in ("ERIKA", "1964", "ffd8ffe0"):
                    assert hidden not in page.text
                page = await http.post("/eid/confirm", follow_redirects=True)
                assert "beigefügt" in page.text
        assert replay.finished, replay.deviations
    kept = load(tmp_path / "batches" / "B-0001")
    assert kept is not None
    assert [a.name for a in kept.attributes] == [
        "FamilyName",
        "Address",
        "AgeVerification",
    ]
    assert (kept.method.value, kept.level.value) == ("eid_online", "hoch")
    entries = JsonLinesTransferLog(tmp_path / "transfer.jsonl").read()
    assert [e.data_fields for e in entries] == [
        ("FamilyName",),
        ("Address",),
        ("AgeVerification",),
    ]
    assert {e.receiver for e in entries} == {"fv-wohngeld"}
    assert {(e.channel, e.outcome) for e in entries} == {("eid-schalter", "delivered")}


async def test_blocked_pin_goes_through_can_and_puk() -> None:
    """GIVEN a card whose PIN has one try left (replayed)
    WHEN the workflow asks for CAN, then the PIN fails, then the PUK unblocks it
    THEN each step carries its German prompt and notice, and the last PIN succeeds."""
    async with (
        Replay(
            "pin-blocked-can-puk", tc=TC, refresh="https://x/refresh?refID=2"
        ) as replay,
        SdkClient(replay.url, timeout=5) as client,
    ):
        workflow = AuthWorkflow(client)
        assert (await workflow.start(TC)).kind is StepKind.ACCESS_RIGHTS
        step = await workflow.accept()
        assert (step.kind, step.notice) == (
            StepKind.ENTER_CAN,
            messages.PROMPTS["CAN_BEFORE_LAST_PIN"],
        )
        step = await workflow.enter_can("500540")
        assert (step.kind, step.retry_counter) == (StepKind.ENTER_PIN, 1)
        step = await workflow.enter_pin("999999")
        assert (step.kind, step.prompt) == (
            StepKind.ENTER_PUK,
            messages.PROMPTS["ENTER_PUK"],
        )
        with pytest.raises(Exception, match="genau 10 Ziffern"):
            await workflow.enter_puk("12345")
        step = await workflow.enter_puk("1234567890")
        assert (step.kind, step.retry_counter) == (StepKind.ENTER_PIN, 3)
        step = await workflow.enter_pin("123456")
    assert step.outcome is not None
    assert step.outcome.ok
    assert replay.finished, replay.deviations


async def test_card_removed_mid_authentication_keeps_nothing(tmp_path: Path) -> None:
    """GIVEN a citizen who takes the card away while AusweisApp reads it (replayed)
    WHEN the PIN has been sent
    THEN the desk fails with the German "connection lost" message and the batch
    has no identified submission and the log no entries."""
    with EidServiceStub() as stub:
        service = profile(stub, ["FamilyName"])
        async with Replay(
            "card-removed", tc=TC, refresh=f"{stub.base}/refresh?refID=X"
        ) as replay:
            desk = desk_for(tmp_path, replay.url, service)
            await desk.start("wohngeld", "B-0001", operator="p1")
            await desk.choose_rights([])
            view = await desk.enter_secret("123456")
    assert (view.phase, view.error) == (Phase.FAILED, messages.CARD_LOST)
    assert load(tmp_path / "batches" / "B-0001") is None
    assert not (tmp_path / "transfer.jsonl").exists()
    assert replay.finished, replay.deviations


async def test_on_site_reading_with_the_can_is_recorded_as_such(tmp_path: Path) -> None:
    """GIVEN a service with the on-site reading right (CanAllowed) (replayed)
    WHEN the citizen's CAN is entered instead of a PIN
    THEN the identified submission says "vor_ort" with level "substanziell"."""
    with EidServiceStub() as stub:
        stub.results["V"] = {"attributes": RESULT}
        service = profile(stub, ["FamilyName", "GivenNames", "DocumentType"])
        async with Replay(
            "on-site-can", tc=TC, refresh=f"{stub.base}/refresh?refID=V"
        ) as replay:
            desk = desk_for(tmp_path, replay.url, service)
            await desk.start("wohngeld", "B-0001", operator="p1")
            assert desk.view.on_site
            view = await desk.choose_rights([])
            assert view.phase is Phase.ENTER_CAN
            view = await desk.enter_secret("500540")
            assert view.phase is Phase.REVIEW
            await desk.confirm()
    kept = load(tmp_path / "batches" / "B-0001")
    assert kept is not None
    assert (kept.method.value, kept.level.value) == ("vor_ort", "substanziell")
    assert [a.name for a in kept.attributes] == [
        "FamilyName",
        "GivenNames",
        "DocumentType",
    ]
    assert replay.finished, replay.deviations


async def test_cancel_at_the_access_rights_step(tmp_path: Path) -> None:
    """GIVEN the access rights on screen (replayed)
    WHEN the operator cancels
    THEN CANCEL reaches AusweisApp and the desk says nothing was transmitted."""
    with EidServiceStub() as stub:
        service = profile(stub, ["FamilyName"])
        async with Replay(
            "cancel", tc=TC, refresh=f"{stub.base}/refresh?refID=C"
        ) as replay:
            desk = desk_for(tmp_path, replay.url, service)
            await desk.start("wohngeld", "B-0001", operator="p1")
            view = await desk.cancel()
    assert (view.phase, view.error) == (Phase.FAILED, messages.CANCELLED)
    assert replay.commands[-1] == {"cmd": "CANCEL"}
    assert replay.finished, replay.deviations
