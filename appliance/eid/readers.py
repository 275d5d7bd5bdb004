"""What the appliance knows about its card readers, and the backend contract.

The operator page, ``appliance eid status`` and the identification flow only see
these types; ``appliance.eid.pcsc`` fills them from pcscd.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from typing import Protocol

import msgspec

from appliance.eid.atr import CARD_LABELS, CardKind
from appliance.eid.errors import CardUnresponsive, MultipleCards, NoCard


class SlotState(enum.StrEnum):
    EMPTY = "empty"
    PRESENT = "present"
    IN_USE = "in_use"  # another program (AusweisApp) holds the card exclusively
    MUTE = "mute"  # a card is there but does not answer
    UNAVAILABLE = "unavailable"


SLOT_LABELS: dict[SlotState, str] = {
    SlotState.EMPTY: "Keine Karte aufgelegt",
    SlotState.PRESENT: "Karte aufgelegt",
    SlotState.IN_USE: "Karte wird gerade gelesen",
    SlotState.MUTE: "Karte antwortet nicht",
    SlotState.UNAVAILABLE: "Lesegerät nicht bereit",
}


class ReaderStatus(msgspec.Struct, kw_only=True, frozen=True):
    """One reader and what lies on it; ``atr`` is upper-case hex, "" if no card."""

    reader: str
    state: SlotState
    atr: str = ""
    card: CardKind | None = None

    @property
    def label(self) -> str:
        text = SLOT_LABELS[self.state]
        if self.card is not None:
            text += f": {CARD_LABELS[self.card]}"
        return text

    @property
    def has_card(self) -> bool:
        return self.state in (SlotState.PRESENT, SlotState.IN_USE, SlotState.MUTE)


class CardProbe(msgspec.Struct, kw_only=True, frozen=True):
    """The result of looking at a card without touching personal data."""

    reader: str
    atr: str
    kind: CardKind
    pace: bool


class ReaderBackend(Protocol):
    """Card readers of one machine.

    ``snapshot`` never blocks and never opens a card. ``wait_for_change`` returns
    as soon as a reader or card appears or disappears, or after ``timeout``
    seconds with the unchanged list. ``probe`` opens the card shared, reads the
    unprotected EF.CardAccess and closes it again, leaving the card powered for
    AusweisApp; it keeps no bytes of the chip. All three raise
    ``ReaderServiceUnavailable`` when the reader service is down; ``probe`` also
    raises ``ReaderGone``, ``NoCard``, ``CardRemoved`` or ``CardUnresponsive``.
    """

    def snapshot(self) -> list[ReaderStatus]: ...

    def wait_for_change(
        self, known: Sequence[ReaderStatus], timeout: float
    ) -> list[ReaderStatus]: ...

    def probe(self, reader: str) -> CardProbe: ...


def choose_card(statuses: Sequence[ReaderStatus]) -> ReaderStatus:
    """The single reader with a card, or the reason why there is none to use."""
    with_card = [s for s in statuses if s.has_card]
    if not with_card:
        raise NoCard("Es liegt kein Ausweis auf dem Lesegerät.")
    if len(with_card) > 1:
        raise MultipleCards(
            "Es liegen mehrere Karten auf. Bitte nur den Ausweis auflegen und "
            "alle anderen Karten wegnehmen."
        )
    chosen = with_card[0]
    if chosen.state is SlotState.MUTE:
        raise CardUnresponsive(
            "Die Karte antwortet nicht. Bitte nur eine Karte mittig auflegen; "
            "liegen zwei Karten übereinander, antwortet keine."
        )
    return chosen
