"""The hash-chained, append-only scan log: safe for several writing processes, and any
edit, removal or reordering is found."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from appliance.scanlog import GENESIS, ScanLog, verify_chain


def _append_many(path: str, writer: int) -> None:
    log = ScanLog(Path(path))
    for i in range(25):
        log.append("page_captured", f"batch-{writer}", {"page": i})


def test_concurrent_writers_keep_one_intact_chain(tmp_path: Path) -> None:
    """GIVEN four processes appending 25 entries each at the same time
    WHEN they are done
    THEN the log has 100 entries numbered 1..100 and the chain is intact."""
    path = tmp_path / "scan-log.jsonl"
    context = multiprocessing.get_context("spawn")
    workers = [
        context.Process(target=_append_many, args=(str(path), w)) for w in range(4)
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
        assert worker.exitcode == 0
    entries = ScanLog(path).entries()
    assert [e.seq for e in entries] == list(range(1, 101))
    assert verify_chain(path) == []
    assert ScanLog(path).head() == entries[-1].hash


def test_edit_removal_and_reordering_are_found(tmp_path: Path) -> None:
    """GIVEN a log of five entries
    WHEN one copy has an edited entry, one a removed entry, one two entries swapped
    THEN verify_chain names the first broken entry in each."""
    path = tmp_path / "scan-log.jsonl"
    log = ScanLog(path)
    assert log.head() == GENESIS
    for page in range(1, 6):
        log.append("page_captured", "b", {"page": page, "sha256": "ab" * 32})
    lines = path.read_text().splitlines()

    edited = tmp_path / "edited.jsonl"
    edited.write_text(
        "\n".join([*lines[:2], lines[2].replace('"page":3', '"page":9'), *lines[3:]])
        + "\n"
    )
    assert verify_chain(edited) == ["Eintrag 3: Inhalt wurde verändert."]

    removed = tmp_path / "removed.jsonl"
    removed.write_text("\n".join([*lines[:2], *lines[3:]]) + "\n")
    assert verify_chain(removed) == [
        "Eintrag 4: erwartet war Nummer 3.",
        "Eintrag 4: Verkettung mit dem Vorgänger fehlt.",
    ]

    swapped = tmp_path / "swapped.jsonl"
    swapped.write_text("\n".join([lines[0], lines[2], lines[1], *lines[3:]]) + "\n")
    assert verify_chain(swapped)[0] == "Eintrag 3: erwartet war Nummer 2."
