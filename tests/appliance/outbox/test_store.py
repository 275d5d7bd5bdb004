"""The outbox store: durable commit, idempotency by hash, leases, dead letters."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from appliance.outbox import Outbox, OutboxError, State

from .conftest import metadata_for, write_pdfs


def test_commit_copies_the_document_and_records_it(
    outbox: Outbox, tmp_path: Path
) -> None:
    """GIVEN a PDF in the station's work folder
    WHEN committed
    THEN the outbox holds an identical copy under its hash and a pending row,
    and the source is untouched."""
    [pdf] = write_pdfs(tmp_path / "work", 1)
    entry = outbox.commit(pdf, metadata_for(pdf))
    assert entry.state is State.PENDING
    assert outbox.path(entry).read_bytes() == pdf.read_bytes()
    assert outbox.path(entry).name == f"{entry.sha256}.pdf"
    assert pdf.exists()
    journal = sqlite3.connect(outbox.folder / "outbox.sqlite3").execute(
        "PRAGMA journal_mode"
    )
    assert journal.fetchone()[0] == "wal"


def test_committing_twice_keeps_one_entry(outbox: Outbox, tmp_path: Path) -> None:
    """GIVEN a document committed, then committed again after a crash
    WHEN the outbox is counted
    THEN one row and one file, no temporary files left."""
    [pdf] = write_pdfs(tmp_path / "work", 1)
    first = outbox.commit(pdf, metadata_for(pdf))
    second = Outbox(outbox.folder).commit(pdf, metadata_for(pdf))
    assert first == second
    assert outbox.counts()[State.PENDING] == 1
    assert [p.name for p in outbox.documents.iterdir()] == [f"{first.sha256}.pdf"]


def test_a_claimed_document_is_not_handed_out_twice(
    outbox: Outbox, tmp_path: Path
) -> None:
    """GIVEN three pending documents
    WHEN one deliverer claims them and a second asks right after
    THEN the second gets none until the lease runs out."""
    for pdf in write_pdfs(tmp_path / "work", 3):
        outbox.commit(pdf, metadata_for(pdf))
    assert len(outbox.claim_due(10, lease_seconds=60)) == 3
    assert outbox.claim_due(10, lease_seconds=60) == []
    later = Outbox(outbox.folder, clock=lambda: outbox.clock() + 61)
    assert len(later.claim_due(10, lease_seconds=60)) == 3


def test_a_retry_scheduled_before_the_clock_was_set_back_is_due_at_once(
    tmp_path: Path,
) -> None:
    """GIVEN a document whose retry was scheduled 5 s ahead while the wall clock
    was two hours fast
    WHEN the clock is set right and a deliverer claims with a 1000 s horizon
    THEN the document is due now, not in two hours; without a horizon it is not."""
    fast = Outbox(tmp_path / "outbox", clock=lambda: 1_000_000.0 + 7200)
    [pdf] = write_pdfs(tmp_path / "pdfs", 1)
    fast.commit(pdf, metadata_for(pdf))
    [entry] = fast.claim_due(10, 30)
    fast.mark_failed(entry.sha256, "Marktplatz antwortet 503", 5)
    right = Outbox(tmp_path / "outbox", clock=lambda: 1_000_000.0)
    assert right.claim_due(10, 30) == []
    assert [e.sha256 for e in right.claim_due(10, 30, horizon=1000)] == [entry.sha256]


def test_dead_letters_keep_their_reason_and_can_be_retried(
    outbox: Outbox, tmp_path: Path
) -> None:
    """GIVEN a document that failed for good
    WHEN it is listed and then retried
    THEN the reason is shown; after retry it is pending and due at once."""
    [pdf] = write_pdfs(tmp_path / "work", 1)
    entry = outbox.commit(pdf, metadata_for(pdf))
    outbox.mark_failed(entry.sha256, "Marktplatz lehnt ab (422): kaputt", None)
    [dead] = outbox.entries(State.DEAD)
    assert dead.last_error == "Marktplatz lehnt ab (422): kaputt"
    assert dead.attempts == 1
    assert outbox.retry(entry.sha256)
    assert not outbox.retry(entry.sha256)
    assert [e.sha256 for e in outbox.claim_due(5, 60)] == [entry.sha256]


def test_missing_source_is_a_clear_error_and_records_nothing(
    outbox: Outbox, tmp_path: Path
) -> None:
    """GIVEN a path that does not exist
    WHEN committed
    THEN an OutboxError in German, no row, no file."""
    with pytest.raises(OutboxError, match=r"fehlt\.pdf .*nicht in den Postausgang"):
        outbox.commit(tmp_path / "fehlt.pdf", metadata_for(tmp_path / "fehlt.pdf"))
    assert sum(outbox.counts().values()) == 0
    assert list(outbox.documents.iterdir()) == []
