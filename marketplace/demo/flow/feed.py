"""The sample mail into the station's input folder, exactly once per state folder.

The flow remembers in ``ablauf.json`` that it generated the sample mail (before
moving a single sheet, so a crash never leads to a second copy) and which
batches it started. On a restart, sheets still waiting in the staging folder or
in the input folder are scanned (the station moves files aside only once their
documents exist); otherwise nothing is fed again and nothing is delivered twice.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import msgspec

from appliance.sample_mail import TRUTH_FILE, generate
from appliance.sample_mail.truth import GroundTruth, decode
from marketplace.demo.flow.config import FlowConfig


class FlowState(msgspec.Struct, kw_only=True):
    fed: bool = False
    batches: list[str] = []


def load_state(config: FlowConfig) -> FlowState:
    try:
        return msgspec.json.decode(config.state_file.read_bytes(), type=FlowState)
    except FileNotFoundError:
        return FlowState()


def save_state(config: FlowConfig, state: FlowState) -> None:
    part = config.state_file.with_suffix(".part")
    part.write_bytes(msgspec.json.encode(state))
    os.replace(part, config.state_file)


def feed_samples(config: FlowConfig) -> GroundTruth:
    """Generate the sample mail once and move its sheets into the input folder;
    returns its ground truth."""
    state = load_state(config)
    if not state.fed:
        shutil.rmtree(config.samples, ignore_errors=True)
        generate(config.samples, seed=config.seed, dpi=config.dpi, pages=config.pages)
        state.fed = True
        save_state(config, state)
    config.input_folder.mkdir(parents=True, exist_ok=True)
    for sheet in sorted(config.samples.glob("*.png")):
        os.replace(sheet, config.input_folder / sheet.name)
    return truth(config)


def truth(config: FlowConfig) -> GroundTruth:
    return decode((config.samples / TRUTH_FILE).read_bytes())


def waiting_sheets(config: FlowConfig) -> list[Path]:
    """Files in the input folder that no batch has read yet."""
    folder = config.input_folder
    return sorted(p for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []
