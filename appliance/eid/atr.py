"""Answer-to-reset (ATR) parsing and card classification.

A contactless reader turns the card's answer to select into a PC/SC pseudo-ATR
(PC/SC part 3: ``3B 8n 80 01`` + historical bytes + TCK). The ATR tells the card's
platform, not the document: a residence permit (eAT) and an ID card can share a
chip. So the table below holds ATRs published for the German ID card; residence
permits and new chip generations are added per appliance (``extra`` argument, from
the settings), and a card with an unknown ATR whose EF.CardAccess announces PACE is
reported as "a document with the online ID function" without guessing which.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

import msgspec


class CardKind(enum.StrEnum):
    ID_CARD = "id_card"
    RESIDENCE_PERMIT = "residence_permit"
    EID_CARD = "eid_card"  # TR-03110 chip (PACE), document type not told by the ATR
    OTHER = "other"


CARD_LABELS: dict[CardKind, str] = {
    CardKind.ID_CARD: "Personalausweis",
    CardKind.RESIDENCE_PERMIT: "Elektronischer Aufenthaltstitel (eAT)",
    CardKind.EID_CARD: (
        "Ausweis mit Online-Ausweisfunktion (Personalausweis, eAT oder eID-Karte)"
    ),
    CardKind.OTHER: "Andere Karte (kein Ausweisdokument)",
}

# Published ATRs of German ID cards (smartcard_list.txt, Ludovic Rousseau).
KNOWN_ATRS: dict[str, CardKind] = {
    "3B8A80018031F873F741E082900075": CardKind.ID_CARD,
    "3B8A80018031B8738401E082900006": CardKind.ID_CARD,
}

# id-PACE (BSI TR-03110 part 3, A.1.1.1): 0.4.0.127.0.7.2.2.4, DER-encoded body.
ID_PACE_OID = bytes.fromhex("04007f0007020204")


class AtrError(ValueError):
    """The bytes are not an ISO 7816-3 answer to reset."""


class Atr(msgspec.Struct, kw_only=True, frozen=True):
    """The parts of an ATR the appliance looks at."""

    raw: bytes
    historical: bytes
    protocols: tuple[int, ...]
    checksum_ok: bool

    @property
    def hex(self) -> str:
        return self.raw.hex().upper()


def parse_atr(raw: bytes) -> Atr:
    """Split an ATR into interface bytes, historical bytes and the check byte."""
    if len(raw) < 2 or raw[0] not in (0x3B, 0x3F):
        raise AtrError("ATR beginnt nicht mit TS = 3B oder 3F")
    position, y, protocols = 2, raw[1] >> 4, [0]
    count = raw[1] & 0x0F
    while y:
        for bit in (1, 2, 4):  # TA, TB, TC
            position += bool(y & bit)
        if not y & 8:  # no TD: the chain ends
            break
        if position >= len(raw):
            raise AtrError("ATR endet mitten in den Schnittstellenzeichen")
        td = raw[position]
        position += 1
        protocols.append(td & 0x0F)
        y = td >> 4
    protocols = protocols[1:] if len(protocols) > 1 else [0]
    needs_tck = any(p != 0 for p in protocols)
    end = position + count
    if end + needs_tck != len(raw):
        raise AtrError(f"ATR hat {len(raw)} Byte, erwartet {end + needs_tck}")
    checksum_ok = True
    if needs_tck:
        value = 0
        for byte in raw[1:]:
            value ^= byte
        checksum_ok = value == 0
    return Atr(
        raw=bytes(raw),
        historical=bytes(raw[position:end]),
        protocols=tuple(dict.fromkeys(protocols)),
        checksum_ok=checksum_ok,
    )


def classify(
    atr: bytes,
    *,
    pace: bool = False,
    extra: Mapping[str, CardKind] | None = None,
) -> CardKind:
    """The card kind from its ATR, or from EF.CardAccess when the ATR is unknown.

    ``pace`` says that the card's unprotected EF.CardAccess announced PACE, which
    every TR-03110 eID document does and no payment or health card does.
    """
    key = atr.hex().upper()
    table = {
        **KNOWN_ATRS,
        **{k.replace(" ", "").upper(): v for k, v in (extra or {}).items()},
    }
    if key in table:
        return table[key]
    return CardKind.EID_CARD if pace else CardKind.OTHER


def announces_pace(card_access: bytes) -> bool:
    """True when EF.CardAccess contains a PACEInfo (the id-PACE object identifier)."""
    return ID_PACE_OID in card_access
