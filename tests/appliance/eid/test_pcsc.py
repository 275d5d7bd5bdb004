"""The reader layer against real pcscd, the vpcd virtual reader and our card emulator.

Nothing here is faked: pcscd loads the vsmartcard vpcd driver, the emulator in
``vicc.py`` connects to vpcd over TCP like a card entering the field, and the
appliance talks PC/SC through pyscard.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from appliance.eid.atr import CardKind
from appliance.eid.errors import (
    CardRemoved,
    MultipleCards,
    NoCard,
    ReaderGone,
    ReaderServiceUnavailable,
)
from appliance.eid.pcsc import PcscReaders
from appliance.eid.readers import ReaderStatus, SlotState, choose_card
from tests.appliance.eid.daemons import READER_NAMES, Pcscd
from tests.appliance.eid.vicc import VirtualCard

NPA_ATR = bytes.fromhex("3B8A80018031F873F741E082900075")
UNKNOWN_EID_ATR = bytes.fromhex("3B888001E1F35E1177A1A30012")  # pseudo-ATR, not listed
BANK_CARD_ATR = bytes.fromhex("3B6800000073C84013009000")  # contact card, T=0
# EF.CardAccess of AusweisApp's simulated card (SDK documentation, "Simulator").
CARD_ACCESS = bytes.fromhex(
    "3181c13012060a04007f0007020204020202010202010d300d060804007f00070202020201"
    "023012060a04007f00070202030202020102020129301c060904007f000702020302300c06"
    "0704007f0007010202010d020129303e060804007f000702020831323012060a04007f0007"
    "020203020202010202012d301c060904007f000702020302300c060704007f000701020201"
    "0d02012d302a060804007f0007020206161e687474703a2f2f6273692e62756e642e64652f"
    "6369662f6e70612e786d6c"
)
WAIT = 5.0


@pytest.fixture
def cards(running_pcscd: Pcscd) -> Iterator[list[VirtualCard]]:
    """Cards the test puts on the readers; all are taken off afterwards."""
    placed: list[VirtualCard] = []
    yield placed
    for card in placed:
        card.remove()


def put(
    cards: list[VirtualCard], pcscd: Pcscd, atr: bytes, slot: int = 0, **kw: object
) -> VirtualCard:
    files = kw.pop("files", {0x011C: CARD_ACCESS})
    card = VirtualCard(pcscd.port + slot, atr, files, **kw).insert()  # type: ignore[arg-type]
    cards.append(card)
    return card


def settle(
    backend: PcscReaders, known: list[ReaderStatus], want: SlotState, slot: int = 0
) -> list[ReaderStatus]:
    """Watch until reader ``slot`` reaches ``want`` (fails after a few seconds)."""
    for _ in range(20):
        known = backend.wait_for_change(known, WAIT)
        if known[slot].state is want:
            return known
    raise AssertionError(f"reader {slot} never became {want}: {known}")


def test_both_vpcd_slots_are_listed_empty(running_pcscd: Pcscd) -> None:
    """GIVEN pcscd with the vpcd reader and no card
    WHEN the appliance takes a snapshot
    THEN it sees both slots, empty, with a German label."""
    statuses = PcscReaders().snapshot()
    assert [s.reader for s in statuses] == list(READER_NAMES)
    assert {s.state for s in statuses} == {SlotState.EMPTY}
    assert statuses[0].label == "Keine Karte aufgelegt"


def test_insert_and_removal_are_noticed_and_the_id_card_is_named(
    running_pcscd: Pcscd, cards: list[VirtualCard]
) -> None:
    """GIVEN an empty reader being watched
    WHEN an ID card is put on it and later taken off
    THEN the watch reports "present, Personalausweis" and then "empty" again."""
    backend = PcscReaders()
    known = backend.snapshot()
    card = put(cards, running_pcscd, NPA_ATR)
    known = settle(backend, known, SlotState.PRESENT)
    assert known[0].card is CardKind.ID_CARD
    assert known[0].atr == NPA_ATR.hex().upper()
    assert known[0].label == "Karte aufgelegt: Personalausweis"
    card.remove()
    known = settle(backend, known, SlotState.EMPTY)
    assert known[0].atr == ""


@pytest.mark.parametrize(
    ("atr", "files", "extra", "kind", "pace"),
    [
        (NPA_ATR, {0x011C: CARD_ACCESS}, {}, CardKind.ID_CARD, True),
        (UNKNOWN_EID_ATR, {0x011C: CARD_ACCESS}, {}, CardKind.EID_CARD, True),
        (
            UNKNOWN_EID_ATR,
            {0x011C: CARD_ACCESS},
            {UNKNOWN_EID_ATR.hex(): CardKind.RESIDENCE_PERMIT},
            CardKind.RESIDENCE_PERMIT,
            True,
        ),
        (BANK_CARD_ATR, {}, {}, CardKind.OTHER, False),
    ],
    ids=["id-card", "unknown-eid", "configured-eat", "bank-card"],
)
def test_probe_names_the_card_from_atr_and_card_access(
    running_pcscd: Pcscd,
    cards: list[VirtualCard],
    atr: bytes,
    files: dict[int, bytes],
    extra: dict[str, CardKind],
    kind: CardKind,
    pace: bool,
) -> None:
    """GIVEN a card on the reader
    WHEN the appliance probes it
    THEN the kind follows from the ATR table, the settings or EF.CardAccess, and the
    card saw only SELECT and READ BINARY (no personal data file is touched)."""
    card = put(cards, running_pcscd, atr, files=files)
    backend = PcscReaders(extra)
    settle(backend, backend.snapshot(), SlotState.PRESENT)
    probe = backend.probe(READER_NAMES[0])
    assert (probe.kind, probe.pace) == (kind, pace)
    assert {apdu[1] for apdu in card.apdus} <= {0xA4, 0xB0}
    assert all(
        apdu[5:7] in (b"", b"\x01\x1c") for apdu in card.apdus if apdu[1] == 0xA4
    )


def test_a_card_pulled_mid_read_gives_a_clear_message_and_a_clean_state(
    running_pcscd: Pcscd, cards: list[VirtualCard]
) -> None:
    """GIVEN an ID card that leaves the field during READ BINARY
    WHEN the appliance probes it
    THEN CardRemoved says so in German, the reader shows empty afterwards, and a
    card put back is read normally."""
    backend = PcscReaders()
    known = backend.snapshot()
    put(cards, running_pcscd, NPA_ATR, pull_after=2)
    known = settle(backend, known, SlotState.PRESENT)
    with pytest.raises(CardRemoved, match="während des Lesens entfernt"):
        backend.probe(READER_NAMES[0])
    known = settle(backend, known, SlotState.EMPTY)
    put(cards, running_pcscd, NPA_ATR)
    settle(backend, known, SlotState.PRESENT)
    assert backend.probe(READER_NAMES[0]).kind is CardKind.ID_CARD


def test_two_cards_are_refused_instead_of_guessing(
    running_pcscd: Pcscd, cards: list[VirtualCard]
) -> None:
    """GIVEN a card in each slot of the reader
    WHEN the appliance chooses the card to identify with
    THEN MultipleCards asks to take the other cards away; with one card left, that
    card is chosen; with none, NoCard."""
    backend = PcscReaders()
    known = backend.snapshot()
    put(cards, running_pcscd, NPA_ATR, slot=0)
    known = settle(backend, known, SlotState.PRESENT, slot=0)
    second = put(cards, running_pcscd, BANK_CARD_ATR, slot=1, files={})
    known = settle(backend, known, SlotState.PRESENT, slot=1)
    with pytest.raises(MultipleCards, match="mehrere Karten"):
        choose_card(known)
    second.remove()
    known = settle(backend, known, SlotState.EMPTY, slot=1)
    assert choose_card(known).reader == READER_NAMES[0]
    with pytest.raises(NoCard):
        choose_card([s for s in known if s.reader != READER_NAMES[0]])


def test_a_vanished_reader_and_a_stopped_reader_service_are_reported(
    running_pcscd: Pcscd, cards: list[VirtualCard]
) -> None:
    """GIVEN a card on the reader
    WHEN the appliance asks for a reader that is not there, and then pcscd stops
    (vpcd cannot be unplugged alone; for the appliance a stopped reader service
    looks the same as the last reader gone)
    THEN ReaderGone and ReaderServiceUnavailable carry German messages, and after
    pcscd is back the readers are listed again."""
    backend = PcscReaders()
    put(cards, running_pcscd, NPA_ATR)
    settle(backend, backend.snapshot(), SlotState.PRESENT)
    with pytest.raises(ReaderGone, match="nicht mehr verbunden"):
        backend.probe("Unplugged Reader 00 00")
    running_pcscd.stop()
    with pytest.raises(ReaderServiceUnavailable, match="pcscd"):
        backend.snapshot()
    with pytest.raises(ReaderServiceUnavailable):
        backend.probe(READER_NAMES[0])
    running_pcscd.start()
    assert [s.reader for s in backend.snapshot()] == list(READER_NAMES)
