"""Property tests of what gives a barcode its meaning: the configured patterns
(settings input) and ``classify`` on any payload a code may carry."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from appliance.barcodes import classify
from appliance.cli import load_settings
from appliance.errors import ApplianceError
from appliance.model import Barcode, BarcodeFormat
from appliance.settings import BarcodePatterns, PipelineSettings

MEANINGS = {"separator", "file_reference", "routing_code", "archive_serial", None}
payloads = st.text(max_size=200)
formats = st.sampled_from(list(BarcodeFormat))
patterns = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["(", "[a-", "*", "(?P<x", "\\", "a{2,1}", "^ROUTE[-: ].+"]),
)


@given(fmt=formats, text=payloads)
@example(fmt=BarcodeFormat.CODE128, text="TRENNBLATT")
@example(fmt=BarcodeFormat.QR, text="ROUTE:STEUERAMT:HUNDESTEUER")
@example(fmt=BarcodeFormat.QR, text="AZ-\x00\n" + "ä" * 50)
def test_any_payload_gets_a_meaning_or_none(fmt: BarcodeFormat, text: str) -> None:
    """GIVEN any payload in any format WHEN classified with the default patterns
    THEN the answer is one of the four meanings or ``None``, never an error, and
    a PATCH T is always a separator."""
    meaning = classify(Barcode(page=1, format=fmt, text=text), BarcodePatterns())
    assert meaning in MEANINGS
    if fmt is BarcodeFormat.PATCH_T:
        assert meaning == "separator"


@given(separator=patterns, routing=patterns, text=payloads)
def test_configured_patterns_are_refused_when_read_or_always_work(
    tmp_path_factory: pytest.TempPathFactory, separator: str, routing: str, text: str
) -> None:
    """GIVEN a settings file with arbitrary expressions for two meanings WHEN it is
    loaded THEN it is refused with the appliance's own error (German, naming the
    field) or, once loaded, classifies any payload without raising."""
    path = tmp_path_factory.mktemp("settings") / "settings.json"
    raw = {"barcodes": {"separator": separator, "routing_code": routing}}
    path.write_bytes(msgspec.json.encode(raw))
    settings = _load(path)
    if isinstance(settings, str):
        assert "barcodes" in settings
        return
    code = Barcode(page=1, format=BarcodeFormat.QR, text=text)
    assert classify(code, settings.barcodes) in MEANINGS


@given(raw=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
@example(raw=b'{"barcodes": {"separator": 5}}')
@example(raw=b'{"profile": {"resolution": 10000}}')
@example(raw=b"[" * 50_000)
def test_any_settings_bytes_load_or_are_refused(
    tmp_path_factory: pytest.TempPathFactory, raw: bytes
) -> None:
    """GIVEN arbitrary bytes as a JSON settings file WHEN loaded THEN the result
    is typed settings or an ``ApplianceError``, never another exception."""
    path = tmp_path_factory.mktemp("settings") / "settings.json"
    path.write_bytes(raw)
    loaded = _load(path)
    assert isinstance(loaded, PipelineSettings) or loaded.startswith(
        "Die Einstellungen"
    )


def _load(path: Path) -> PipelineSettings | str:
    """The loaded settings, or the message of the appliance's own error (any
    other exception fails the test)."""
    try:
        return load_settings(path)
    except ApplianceError as exc:
        return exc.message
