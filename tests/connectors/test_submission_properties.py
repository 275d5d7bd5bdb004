"""Property tests of ``decode_submission``, the edge every receiver and connector
decodes client input at: anything at all becomes a verified ``Submission`` or an
``InvalidSubmission``, never another exception."""

from __future__ import annotations

from typing import Any

import msgspec
from hypothesis import example, given
from hypothesis import strategies as st

from connectors.errors import InvalidSubmission
from connectors.submission import (
    MAX_DATA_DEPTH,
    Submission,
    decode_submission,
    encode_submission,
)
from tests.connectors import samples

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats()
    | st.text(max_size=40),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.text(max_size=12), inner, max_size=3)
    ),
    max_leaves=15,
)
FIELDS = (
    *("submission_id", "idempotency_key", "test", "metadata", "data", "documents"),
    *("transfer_note", "leika", "ags", "channel", "sha256", "size", "content"),
)


def _valid() -> dict[str, Any]:
    data: dict[str, Any] = msgspec.to_builtins(samples.submission("p"))
    return data


def _decode(raw: bytes) -> Submission | str:
    try:
        return decode_submission(raw)
    except InvalidSubmission as exc:
        return str(exc)


def _nested(depth: int) -> bytes:
    head = encode_submission(samples.submission("deep"))[:-1]
    return head + b',"data":' + b'{"a":' * depth + b"1" + b"}" * depth + b"}"


@given(raw=st.binary(max_size=500))
@example(raw=b"{" * 100_000)
@example(raw=b"\xff\xfe{}")
def test_any_bytes_decode_or_are_refused(raw: bytes) -> None:
    """GIVEN arbitrary bytes WHEN decoded THEN a submission or InvalidSubmission
    with a German message, never another exception."""
    result = _decode(raw)
    assert isinstance(result, Submission) or result.startswith(
        ("Ungültige Einreichung", "Kein gültiges JSON", "Dokument", "Die Einreichung")
    )


@given(
    field=st.sampled_from(FIELDS),
    value=json_values,
    where=st.sampled_from(["top", "metadata", "document"]),
)
@example(field="size", value=-1, where="document")
@example(field="content", value="!!!not base64", where="document")
@example(field="received_at", value="2026-13-45T99:00:00Z", where="metadata")
def test_a_valid_submission_with_one_field_changed_decodes_or_is_refused(
    field: str, value: object, where: str
) -> None:
    """GIVEN a valid submission with one field (anywhere: top level, metadata, a
    document) set to any JSON value WHEN decoded THEN it is either still a
    verified submission (then re-encoding it decodes to the same) or refused with
    InvalidSubmission."""
    data = _valid()
    target = {"top": data, "metadata": data["metadata"]}.get(where)
    (target if target is not None else data["documents"][0])[field] = value
    result = _decode(msgspec.json.encode(data))
    if isinstance(result, Submission):
        assert decode_submission(encode_submission(result)) == result
        assert all(len(d.content) == d.size for d in result.documents)
    else:
        assert result.strip()


@given(depth=st.integers(MAX_DATA_DEPTH + 1, 20_000))
@example(depth=5_000)
def test_too_deeply_nested_data_is_refused(depth: int) -> None:
    """GIVEN form data nested deeper than the limit (also deeper than Python's
    recursion limit) WHEN decoded THEN InvalidSubmission, not a RecursionError;
    data at the limit still decodes and lists its field names."""
    assert "verschachtelt" in str(_decode(_nested(depth)))
    at_limit = _decode(_nested(MAX_DATA_DEPTH))
    assert isinstance(at_limit, Submission)
    assert at_limit.data_fields() == (".".join(["a"] * MAX_DATA_DEPTH),)
