"""ATR parsing and card classification (pure functions, property-tested)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from appliance.eid.atr import (
    AtrError,
    CardKind,
    announces_pace,
    classify,
    parse_atr,
)

NPA = bytes.fromhex("3B8A80018031F873F741E082900075")
CARD_ACCESS_PREFIX = bytes.fromhex("3181c13012060a04007f0007020204020202010202010d")


def pseudo_atr(historical: bytes) -> bytes:
    """PC/SC part 3 pseudo-ATR of a contactless card: 3B 8n 80 01 hist TCK."""
    body = bytes([0x80 | len(historical), 0x80, 0x01]) + historical
    tck = 0
    for byte in body:
        tck ^= byte
    return b"\x3b" + body + bytes([tck])


def test_german_id_card_atr_is_parsed_and_classified() -> None:
    """GIVEN the published ATR of a German ID card
    WHEN it is parsed and classified
    THEN the historical bytes, protocol T=1, a good checksum and "ID card" result."""
    atr = parse_atr(NPA)
    assert atr.historical == bytes.fromhex("8031F873F741E0829000")
    assert atr.protocols == (0, 1)
    assert atr.checksum_ok
    assert classify(NPA) is CardKind.ID_CARD


def test_unknown_atr_is_an_eid_card_only_when_card_access_announces_pace() -> None:
    """GIVEN an ATR that is not in the table
    WHEN it is classified with and without a PACE announcement in EF.CardAccess
    THEN it is an eID document with PACE and "other" without."""
    unknown = pseudo_atr(b"\x00\x11\x22\x33\x44\x55\x66")
    assert classify(unknown) is CardKind.OTHER
    assert classify(unknown, pace=True) is CardKind.EID_CARD
    assert announces_pace(CARD_ACCESS_PREFIX)
    assert not announces_pace(b"\x31\x00")


def test_residence_permit_atrs_come_from_the_settings() -> None:
    """GIVEN an ATR configured for residence permits (with spaces, lower case)
    WHEN a card with that ATR is classified
    THEN it is a residence permit."""
    atr = pseudo_atr(b"\x80\x31\x80\x65\xb0")
    spaced = " ".join(f"{b:02x}" for b in atr)
    assert classify(atr, extra={spaced: CardKind.RESIDENCE_PERMIT}) is (
        CardKind.RESIDENCE_PERMIT
    )


@pytest.mark.parametrize(
    "raw",
    [b"", b"\x3b", b"\x12\x00", bytes.fromhex("3B8A8001"), bytes.fromhex("3B00FF")],
)
def test_malformed_atrs_are_refused_clearly(raw: bytes) -> None:
    """GIVEN bytes that are not an ATR
    WHEN they are parsed
    THEN an AtrError with a German reason, never an IndexError."""
    with pytest.raises(AtrError):
        parse_atr(raw)


@given(st.binary(min_size=0, max_size=15))
def test_every_pseudo_atr_round_trips(historical: bytes) -> None:
    """GIVEN any historical bytes of a contactless card
    WHEN its pseudo-ATR is parsed
    THEN the same historical bytes come back and the checksum is good."""
    atr = parse_atr(pseudo_atr(historical))
    assert atr.historical == historical
    assert atr.checksum_ok


@given(st.binary(max_size=40))
def test_arbitrary_bytes_parse_or_raise_atr_error(raw: bytes) -> None:
    """GIVEN arbitrary bytes
    WHEN they are parsed
    THEN the result is an Atr or an AtrError, nothing else escapes."""
    try:
        parsed = parse_atr(raw)
    except AtrError:
        return
    assert parsed.raw == raw
