"""Submission model, HMAC signing, transfer log and drop folder specifics."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import msgspec
import pytest

from connectors.dropfolder import DropFolderConnector, DropFolderSettings
from connectors.errors import InvalidSubmission
from connectors.results import Delivered, DeliveryResult, Receipt, Rejected
from connectors.signing import REPLAY_WINDOW, sign, signed_headers, verify
from connectors.submission import decode_submission, encode_submission, verify_documents
from connectors.transferlog import JsonLinesTransferLog, entry_for
from tests.connectors import samples


def _raw(**changes: object) -> bytes:
    data = msgspec.to_builtins(samples.submission("m"))
    data.update(changes)
    return msgspec.json.encode(data)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"unexpected": 1}, "unexpected"),
        ({"metadata": {"ags": "123"}}, "metadata"),
        ({"idempotency_key": "x"}, "idempotency_key"),
    ],
)
def test_bad_client_input_is_refused_naming_the_field(
    changes: dict[str, object], message: str
) -> None:
    """GIVEN client input with an unknown field, a bad AGS or a short key
    WHEN decoded THEN InvalidSubmission names the field."""
    with pytest.raises(InvalidSubmission, match=message):
        decode_submission(_raw(**changes))


def test_checksums_and_transfer_note_are_enforced() -> None:
    """GIVEN a document whose bytes changed, and paper mail without transfer note
    WHEN verified THEN both are refused; an intact submission round-trips."""
    item = samples.submission("m")
    assert decode_submission(encode_submission(item)) == item
    document = msgspec.structs.replace(
        item.documents[0], content=item.documents[0].content + b"!"
    )
    with pytest.raises(InvalidSubmission, match="Größe"):
        verify_documents(msgspec.structs.replace(item, documents=(document,)))
    same_size = msgspec.structs.replace(document, size=document.size + 1)
    with pytest.raises(InvalidSubmission, match="SHA-256"):
        verify_documents(msgspec.structs.replace(item, documents=(same_size,)))
    paper = samples.submission("m", channel="paper")
    with pytest.raises(InvalidSubmission, match="Transfervermerk"):
        verify_documents(msgspec.structs.replace(paper, transfer_note=None))


def test_signature_window_and_secret() -> None:
    """GIVEN a signed body WHEN checked with the right secret, later than 5 minutes,
    with another secret or a changed body THEN only the first passes."""
    body = b'{"a": 1}'
    headers = signed_headers(b"secret-0123456789", body, now=1_000_000)
    ts, sig = headers["X-Timestamp"], headers["X-Signature"]
    assert verify(b"secret-0123456789", ts, sig, body, now=1_000_010) is None
    assert "5 Minuten" in str(
        verify(b"secret-0123456789", ts, sig, body, now=1_000_000 + REPLAY_WINDOW + 1)
    )
    assert "Signatur" in str(verify(b"other-secret-0000", ts, sig, body, now=1_000_010))
    assert "Signatur" in str(
        verify(b"secret-0123456789", ts, sig, body + b" ", now=1_000_010)
    )
    assert sig == sign(b"secret-0123456789", 1_000_000, body)


async def test_transfer_log_records_field_names_not_values(tmp_path: Path) -> None:
    """GIVEN a delivered online submission WHEN its transfer log entry is written
    THEN it names the data fields and document checksums, never the values."""
    item = samples.submission("m")
    result = Delivered(receipt=Receipt(reference="r-1", received_at=datetime.now(UTC)))
    entry = entry_for(
        item,
        result,
        receiver="route-7",
        connector="webhook",
        purpose="Gewerbeanmeldung bearbeiten",
    )
    log = JsonLinesTransferLog(tmp_path / "transfer.jsonl")
    await log.write(entry)
    raw = (tmp_path / "transfer.jsonl").read_text()
    assert log.read() == [entry]
    assert entry.data_fields == (
        "antragsteller.geburtsdatum",
        "antragsteller.name",
        "gewerbe",
    )
    assert entry.documents[0].sha256 == item.documents[0].sha256
    assert samples.APPLICANT not in raw
    assert "1970-01-01" not in raw
    assert "Imbiss" not in raw
    rejected = entry_for(
        item, Rejected(reason="nein"), receiver="r", connector="webhook", purpose="p"
    )
    assert rejected.outcome == "rejected"
    assert rejected.reason == "nein"


def test_drop_folder_same_key_concurrently_gives_one_folder(
    tmp_path: Path,
) -> None:
    """GIVEN one submission WHEN eight deliveries of it race
    THEN exactly one folder exists, one answer is new and seven are duplicates,
    and no staging folder is left behind."""
    connector = DropFolderConnector(
        DropFolderSettings(path=str(tmp_path), min_free_bytes=0)
    )
    item = samples.submission("m", documents=3)

    async def race() -> list[DeliveryResult]:
        return list(await asyncio.gather(*(connector.deliver(item) for _ in range(8))))

    results = asyncio.run(race())
    assert all(isinstance(r, Delivered) for r in results)
    duplicates = [r.receipt.duplicate for r in results if isinstance(r, Delivered)]
    assert duplicates.count(False) == 1
    assert [p.name for p in tmp_path.iterdir() if not p.name.startswith(".")] == [
        item.idempotency_key
    ]
    assert list((tmp_path / ".incoming").iterdir()) == []
    files = sorted(p.name for p in (tmp_path / item.idempotency_key).iterdir())
    assert len(files) == 5  # three documents, data.json, manifest.json
