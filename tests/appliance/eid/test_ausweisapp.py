"""The SDK client against the real AusweisApp (Debian package, headless).

RUN_AUTH runs against ``eidservice_stub``: AusweisApp really fetches the TC token
and really opens the connection to the eID server address in it. Beyond that a
state-certified eID server (authorization certificate, TLS-PSK, PAOS) would be
needed; those steps are covered by ``test_replay.py`` from recorded SDK messages.
"""

from __future__ import annotations

import pytest

from appliance.eid import ausweisapp as program
from appliance.eid import messages, sdk
from appliance.eid.ausweisapp import AusweisAppProcess
from appliance.eid.client import AuthWorkflow, SdkClient, Step, StepKind
from appliance.eid.errors import AusweisAppUnavailable, InvalidInput
from tests.appliance.eid.eidservice_stub import EidServiceStub

pytestmark = pytest.mark.slow


async def test_info_and_reader_list_on_start(ausweisapp: AusweisAppProcess) -> None:
    """GIVEN AusweisApp running headless
    WHEN the client connects and asks GET_INFO and GET_READER_LIST
    THEN the version equals ``AusweisApp --version`` and the Simulator is listed."""
    async with SdkClient(ausweisapp.url, timeout=10) as client:
        info = await client.info()
        readers = await client.reader_list()
        while not readers:  # reader plug-ins register just after start-up
            await client.receive(5)
            readers = await client.reader_list()
    assert info.implementation_version == program.version()
    assert info.specification_title.startswith("TR-03124")
    assert "Simulator" in [r.name for r in readers]


async def test_run_auth_reaches_the_eid_server_of_the_local_service(
    ausweisapp: AusweisAppProcess,
) -> None:
    """GIVEN a local eID-service stub (TC token over http, developer mode)
    WHEN RUN_AUTH starts with its tcTokenURL
    THEN AusweisApp fetches the token, opens a TLS connection to the eID server address, and the
    failure there ends as a German operator message (no certified eID server here)."""
    with EidServiceStub() as stub:
        async with SdkClient(ausweisapp.url, timeout=20) as client:
            workflow = AuthWorkflow(client)
            step = await workflow.start(
                f"{stub.base}/tcToken?session=4711", developer_mode=True
            )
    assert stub.requests[0] == "/tcToken?session=4711"
    assert stub.client_hellos
    assert stub.client_hellos[0][:1] == b"\x16"
    assert step.kind is StepKind.DONE
    assert step.outcome is not None
    assert not step.outcome.ok
    assert step.outcome.message == messages.NETWORK


async def test_run_auth_with_plain_http_is_refused_outside_developer_mode(
    ausweisapp: AusweisAppProcess,
) -> None:
    """GIVEN the same stub
    WHEN RUN_AUTH starts without developer mode
    THEN AusweisApp refuses the http token URL before fetching anything, and the
    operator reads a German message."""
    with EidServiceStub() as stub:
        async with SdkClient(ausweisapp.url, timeout=20) as client:
            step = await AuthWorkflow(client).start(f"{stub.base}/tcToken")
    assert stub.requests == []
    assert step.outcome is not None
    assert not step.outcome.ok
    assert step.outcome.message in messages.RESULT_MINOR.values()


async def test_simulator_card_insert_keypad_pin_and_cancel(
    ausweisapp: AusweisAppProcess,
) -> None:
    """GIVEN a running workflow that waits for a card (RUN_CHANGE_PIN needs no server)
    WHEN the Simulator card is inserted
    THEN AusweisApp asks for the PIN on the Simulator's keypad with 3 tries left, a
    PIN typed on screen is refused before it is sent, and CANCEL ends cleanly.

    AusweisApp 1.26.2 has a race when a card is inserted: its log says "Card is
    already connected" and the workflow ends at once (CHANGE_PIN success true,
    without any PIN). It hit about every third run here, so the workflow is
    started again until the Simulator card is connected (at most 8 times)."""
    async with SdkClient(ausweisapp.url, timeout=20) as client:
        workflow = AuthWorkflow(client)
        step = await simulator_pin_step(workflow)
        assert (step.keypad, step.retry_counter) == (True, 3)
        assert step.prompt == messages.PROMPTS["ENTER_PIN_KEYPAD"]
        card = client.readers["Simulator"].card
        assert card is not None
        assert card.retry_counter == 3
        with pytest.raises(InvalidInput, match="am Lesegerät"):
            await workflow.enter_pin("123456")
        done = await workflow.cancel()
    assert done.outcome is not None
    assert done.outcome.message == messages.CANCELLED


async def simulator_pin_step(workflow: AuthWorkflow) -> Step:
    for _ in range(8):
        await workflow.client.send(sdk.command("RUN_CHANGE_PIN", status=False))
        assert (await workflow.next_step()).kind is StepKind.INSERT_CARD
        step = await workflow.insert_simulator()
        if step.kind is not StepKind.DONE:
            return step
    raise AssertionError("AusweisApp never connected the Simulator card")


async def test_reader_list_during_a_workflow_has_vpcd_and_simulator(
    ausweisapp: AusweisAppProcess,
) -> None:
    """GIVEN pcscd with the vpcd reader and a workflow waiting for a card
    WHEN AusweisApp has scanned PC/SC
    THEN GET_READER_LIST names both vpcd slots next to the Simulator."""
    async with SdkClient(ausweisapp.url, timeout=20) as client:
        workflow = AuthWorkflow(client)
        await client.send(sdk.command("RUN_CHANGE_PIN", status=False))
        assert (await workflow.next_step()).kind is StepKind.INSERT_CARD
        vpcd = {"Virtual PCD 00 00", "Virtual PCD 00 01"}
        while not vpcd <= set(client.readers):  # the PC/SC scan runs now
            await client.receive(5)
        names = {r.name for r in await client.reader_list()}
        await workflow.cancel()
    assert {"Simulator", *vpcd} <= names


async def test_unreachable_ausweisapp_is_a_german_error() -> None:
    """GIVEN no AusweisApp on the port
    WHEN the client connects
    THEN AusweisAppUnavailable explains it in German."""
    with pytest.raises(AusweisAppUnavailable, match="nicht erreichbar"):
        async with SdkClient("ws://127.0.0.1:9/eID-Kernel", timeout=2):
            pass
