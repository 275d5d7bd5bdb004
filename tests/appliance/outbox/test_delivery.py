"""Delivery against the real marketplace app: receipts, duplicates, rejections,
backoff and dead letters."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import msgspec
from hypothesis import given
from hypothesis import strategies as st

from appliance.outbox import (
    Deferred,
    Delivered,
    HttpIntake,
    Outbox,
    OutboxSettings,
    State,
    deliver_due,
)
from appliance.outbox.delivery import backoff

from .conftest import Marketplace, metadata_for, write_pdfs

RNG = random.Random(7)  # noqa: S311 - jitter in tests, not cryptography


def intake_rows(db_path: Path) -> tuple[int, int, int]:
    """(rows, distinct hashes, total deliveries) at the marketplace."""
    with sqlite3.connect(db_path) as conn:
        row = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT sha256), COALESCE(SUM(deliveries), 0)"
            " FROM intake_documents"
        ).fetchone()
    return int(row[0]), int(row[1]), int(row[2])


def test_pending_documents_are_delivered_with_receipts(
    outbox: Outbox,
    marketplace: Marketplace,
    outbox_settings: OutboxSettings,
    tmp_path: Path,
) -> None:
    """GIVEN five committed documents
    WHEN delivered
    THEN five receipts, the outbox shows them delivered, the intake has five rows."""
    for pdf in write_pdfs(tmp_path / "work", 5):
        outbox.commit(pdf, metadata_for(pdf))
    outcomes = deliver_due(outbox, marketplace.intake(), outbox_settings, RNG)
    assert [type(o) for o in outcomes] == [Delivered] * 5
    assert outbox.counts()[State.DELIVERED] == 5
    assert all(e.receipt_id for e in outbox.entries(State.DELIVERED))
    assert intake_rows(marketplace.db_path) == (5, 5, 5)


def test_a_lost_answer_leads_to_a_repeat_that_is_stored_once(
    outbox: Outbox,
    marketplace: Marketplace,
    outbox_settings: OutboxSettings,
    tmp_path: Path,
) -> None:
    """GIVEN a document delivered, but the appliance crashed before recording it
    WHEN it is delivered again
    THEN the marketplace answers "duplicate" and keeps one row with 2 deliveries."""
    [pdf] = write_pdfs(tmp_path / "work", 1)
    entry = outbox.commit(pdf, metadata_for(pdf))
    intake = marketplace.intake()
    content = outbox.path(entry).read_bytes()
    first = intake.send(entry.sha256, entry.metadata, content)  # answer "lost"
    [outcome] = deliver_due(outbox, intake, outbox_settings, RNG)
    assert isinstance(first, Delivered)
    assert outcome == Delivered(receipt_id=first.receipt_id, duplicate=True)
    assert intake_rows(marketplace.db_path) == (1, 1, 2)


def test_content_the_marketplace_refuses_becomes_a_dead_letter(
    outbox: Outbox,
    marketplace: Marketplace,
    outbox_settings: OutboxSettings,
    tmp_path: Path,
) -> None:
    """GIVEN a document whose file name the intake refuses, and one whose file was
    damaged on the appliance's disk
    WHEN delivered
    THEN both are dead letters with a German reason; nothing reached the intake."""
    bad_name, damaged = write_pdfs(tmp_path / "work", 2)
    meta = msgspec.structs.replace(metadata_for(bad_name), filename="kein-pdf.txt")
    outbox.commit(bad_name, meta)
    entry = outbox.commit(damaged, metadata_for(damaged))
    outbox.path(entry).write_bytes(b"%PDF-1.4 damaged")
    outcomes = deliver_due(outbox, marketplace.intake(), outbox_settings, RNG)
    assert sorted(type(o).__name__ for o in outcomes) == ["Rejected", "Rejected"]
    reasons = sorted(e.last_error for e in outbox.entries(State.DEAD))
    assert reasons[0].startswith("Datei im Postausgang beschädigt")
    assert reasons[1].startswith("Marktplatz lehnt ab (400)")
    assert intake_rows(marketplace.db_path) == (0, 0, 0)


def test_a_wrong_token_is_retried_then_given_up(
    outbox: Outbox,
    marketplace: Marketplace,
    outbox_settings: OutboxSettings,
    tmp_path: Path,
) -> None:
    """GIVEN a revoked token and max_attempts 3
    WHEN delivery is tried three times
    THEN twice deferred with backoff, then a dead letter naming the cause; after
    the token is fixed and the letter retried, it is delivered."""
    [pdf] = write_pdfs(tmp_path / "work", 1)
    outbox.commit(pdf, metadata_for(pdf))
    wrong = HttpIntake("", "mpt_widerrufen", client=marketplace.client)
    clock = [outbox.clock()]
    ticking = Outbox(outbox.folder, clock=lambda: clock[0])
    kinds = []
    for _ in range(3):
        clock[0] += 10
        kinds += [type(o) for o in deliver_due(ticking, wrong, outbox_settings, RNG)]
    assert kinds == [Deferred, Deferred, Deferred]
    [dead] = ticking.entries(State.DEAD)
    assert dead.last_error.startswith("Nach 3 Versuchen aufgegeben: Anmeldung")
    assert ticking.retry(dead.sha256)
    outcomes = deliver_due(ticking, marketplace.intake(), outbox_settings, RNG)
    assert [type(o) for o in outcomes] == [Delivered]


def test_an_unreachable_marketplace_defers(
    outbox: Outbox, outbox_settings: OutboxSettings, tmp_path: Path
) -> None:
    """GIVEN no server on the configured port
    WHEN delivered
    THEN deferred with "nicht erreichbar", still pending, one attempt counted."""
    [pdf] = write_pdfs(tmp_path / "work", 1)
    outbox.commit(pdf, metadata_for(pdf))
    nowhere = HttpIntake("http://127.0.0.1:9", "mpt_x", timeout=2)
    [outcome] = deliver_due(outbox, nowhere, outbox_settings, RNG)
    assert isinstance(outcome, Deferred)
    assert "nicht erreichbar" in outcome.reason
    [entry] = outbox.entries(State.PENDING)
    assert entry.attempts == 1


@given(st.integers(1, 60), st.floats(0.01, 10), st.floats(1, 3600), st.integers())
def test_backoff_grows_exponentially_with_jitter_below_the_cap(
    attempt: int, base: float, cap: float, seed: int
) -> None:
    """GIVEN any attempt number, base and cap
    WHEN the wait is drawn
    THEN it lies between half and all of min(cap, base * 2**(attempt-1))."""
    settings = OutboxSettings(backoff_base=base, backoff_cap=cap)
    ceiling = min(cap, base * 2 ** (attempt - 1))
    wait = backoff(attempt, settings, random.Random(seed))  # noqa: S311
    assert ceiling / 2 <= wait <= ceiling


def test_rejected_is_not_retried_by_the_loop(
    outbox: Outbox,
    marketplace: Marketplace,
    outbox_settings: OutboxSettings,
    tmp_path: Path,
) -> None:
    """GIVEN a dead letter
    WHEN delivery rounds run again
    THEN it is not sent again until a person retries it."""
    [pdf] = write_pdfs(tmp_path / "work", 1)
    entry = outbox.commit(pdf, metadata_for(pdf))
    outbox.mark_failed(entry.sha256, "Marktplatz lehnt ab (422): x", None)
    assert deliver_due(outbox, marketplace.intake(), outbox_settings, RNG) == []
    assert intake_rows(marketplace.db_path) == (0, 0, 0)
