"""Station fixtures: a station folder with settings, rules and scanned mail."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from appliance.station.batches import Station
from appliance.station.settings import load_settings

from .letters import DOG, letter, mail_batch, station_folder

MakeStation = Callable[..., Station]


@pytest.fixture
def make_station(tmp_path: Path) -> Iterator[MakeStation]:
    """A Station over a fresh folder; ``mail`` fills the input folder first."""
    made: list[Station] = []

    def make(*, mail: str = "batch", **options: object) -> Station:
        settings = station_folder(tmp_path / "station", **options)  # type: ignore[arg-type]
        inbox = tmp_path / "station" / "eingang"
        if mail == "batch":
            mail_batch(inbox)
        elif mail == "single":
            letter(inbox, "hund.png", DOG, 6)
        station = Station(load_settings(settings))
        made.append(station)
        return station

    yield make
    for station in made:
        station.join()


def run_batch(station: Station, profile: str = "Brief 150 dpi") -> str:
    batch_id = station.start_batch(profile, "folder")
    station.join(120)
    batch = station.store.batch(batch_id)
    assert batch is not None
    assert batch.state == "done", batch.message
    return batch_id
