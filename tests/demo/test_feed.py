"""Feeding the sample mail: generated once per state folder, never twice, and a
crash between generating and moving the sheets loses none and adds none."""

from __future__ import annotations

import os
from pathlib import Path

from marketplace.demo.flow import FlowConfig
from marketplace.demo.flow.feed import feed_samples, load_state, waiting_sheets


def test_sample_mail_is_fed_once_and_a_crash_midway_is_completed(
    tmp_path: Path,
) -> None:
    """GIVEN an empty state folder
    WHEN the sample mail is fed, three sheets are put back into the staging
    folder (a crash while moving), it is fed again, the station takes every
    sheet, and it is fed a third time
    THEN the first feed moved all 17 sheets into the input folder, the second
    moved exactly the three back without generating anew, and the third fed
    nothing: 17 sheets in all, each once."""
    config = FlowConfig(var=tmp_path, dpi=100)
    truth = feed_samples(config)
    sheets = waiting_sheets(config)
    assert [p.name for p in sheets] == [p.file for p in truth.pages]
    assert load_state(config).fed
    generated = (config.samples / "ground-truth.json").stat().st_mtime_ns
    for sheet in sheets[:3]:
        os.replace(sheet, config.samples / sheet.name)
    assert feed_samples(config) == truth
    assert [p.name for p in waiting_sheets(config)] == [p.file for p in truth.pages]
    assert (config.samples / "ground-truth.json").stat().st_mtime_ns == generated
    taken = tmp_path / "eingelesen"
    taken.mkdir()
    for sheet in waiting_sheets(config):
        os.replace(sheet, taken / sheet.name)
    feed_samples(config)
    assert waiting_sheets(config) == []
    assert len(list(taken.iterdir())) == len(truth.pages) == 17
