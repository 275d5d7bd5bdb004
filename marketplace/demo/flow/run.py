"""The whole flow on one machine: prepare, start the processes, scan the sample
mail at the station, wait until every document is delivered or held with its
reason, and keep the processes until ``stop``.

    with Flow(FlowConfig()) as flow:
        result = flow.run()      # "ready": everything settled
        print(render(result))    # marketplace.demo.flow.report
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

import msgspec

from appliance.enrolment import StationSettings as EnrolmentSettings
from appliance.enrolment import enrol, load_credential
from appliance.sample_mail.truth import GroundTruth
from appliance.station.store import StationStore
from marketplace.demo.flow.children import (
    Child,
    port_in_use,
    start_heartbeat,
    start_marketplace,
    start_receivers,
    start_station,
)
from marketplace.demo.flow.config import STATION_NAME, FlowConfig
from marketplace.demo.flow.federation import (
    Replication,
    prepare_federation,
    start_replica,
    wait_replicated,
)
from marketplace.demo.flow.feed import (
    feed_samples,
    load_state,
    save_state,
    waiting_sheets,
)
from marketplace.demo.flow.outcome import Outcome, outcomes
from marketplace.demo.flow.prepare import prepare_marketplace, prepare_station
from marketplace.demo.flow.repository import Beat, last_beat
from marketplace.demo.flow.station import FlowError, StationClient
from marketplace.demo.mail import AGS


class Timings(msgspec.Struct, kw_only=True):
    """Monotonic seconds of this run; ``batch_started`` is None when nothing was
    scanned in this run (a restart after a finished batch)."""

    started: float
    serving: float = 0.0
    batch_started: float | None = None
    batch_done: float | None = None
    settled: float = 0.0


class FlowResult(msgspec.Struct, kw_only=True):
    config: FlowConfig
    notes: list[str]
    truth: GroundTruth
    batch_id: str
    scanned_now: bool
    outcomes: list[Outcome]
    timings: Timings
    replication: Replication | None  # the second node's catalog
    heartbeat: Beat | None = None  # the station's last one in the fleet register

    @property
    def settled(self) -> bool:
        """Every document delivered or held with its reason (else some still
        wait for a retry: see the report)."""
        return all(o.settled for o in self.outcomes)


def _quiet(message: str) -> None:
    return None


class Flow:
    """The processes of one run; ``say`` gets a German line per step."""

    def __init__(self, config: FlowConfig, say: Callable[[str], None] = _quiet) -> None:
        self.config = config
        self.say = say
        self.children: list[Child] = []

    def __enter__(self) -> Flow:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.stop()

    def run(self) -> FlowResult:
        config = self.config
        timings = Timings(started=time.monotonic())
        self._check_ports()
        notes, token = asyncio.run(prepare_marketplace(config))
        if self._replica:
            asyncio.run(prepare_federation(config))
        prepare_station(config)
        # The sample mail is drawn while the processes start (about 5 s here).
        drawing = ThreadPoolExecutor(max_workers=1)
        feeding = drawing.submit(feed_samples, config)
        drawing.shutdown(wait=False)
        for note in notes:
            self.say(note)
        notes += self._start(token)
        timings.serving = time.monotonic()
        truth = feeding.result()
        batch_id, scanned_now = self._scan(timings)
        self.say(
            "Warten, bis jedes Dokument zugestellt oder begründet gehalten ist ..."
        )
        found = self.wait_settled(batch_id, truth)
        timings.settled = time.monotonic()
        return FlowResult(
            config=config,
            notes=notes,
            truth=truth,
            batch_id=batch_id,
            scanned_now=scanned_now,
            outcomes=found,
            timings=timings,
            replication=wait_replicated(config) if self._replica else None,
            heartbeat=self.wait_heartbeat(),
        )

    @property
    def _replica(self) -> bool:
        """A second node (its own SQLite file, also when the demo node is on
        PostgreSQL)."""
        return self.config.replica_port is not None

    def _start(self, token: str | None) -> list[str]:
        """Receivers, marketplace (and the second node), enrolment, station."""
        config = self.config
        notes = []
        self.children.append(start_receivers(config))
        self.children.append(start_marketplace(config))
        if self._replica:
            self.children.append(start_replica(config))
        if token is not None:
            enrol(_enrolment(config), token)
            notes.append("Scanstation mit eigenem Geräteschlüssel angemeldet.")
            self.say(notes[-1])
        self.children.append(start_station(config))
        if load_credential(config.credential_dir) is not None:
            settings = write_heartbeat_settings(config)
            self.children.append(start_heartbeat(config, settings))
        self.say("Marktplatz, Empfänger und Scanstation laufen.")
        return notes

    def _check_ports(self) -> None:
        config = self.config
        wanted = [config.marketplace_port, config.station_port]
        wanted += [config.replica_port] if self._replica and config.replica_port else []
        busy = [p for p in [*wanted, *config.receiver_ports] if port_in_use(p)]
        if busy:
            raise FlowError(
                f"Port(s) {', '.join(map(str, busy))} sind belegt; läuft die Demo "
                "schon? Bitte beenden oder andere Ports wählen."
            )

    def _scan(self, timings: Timings) -> tuple[str, bool]:
        """Start a batch when sheets wait in the input folder; (batch, scanned now)."""
        config = self.config
        state = load_state(config)
        if not waiting_sheets(config):
            return self._last_batch(state.batches), False
        client = StationClient(config.station_url)
        try:
            timings.batch_started = time.monotonic()
            batch_id = client.start_batch()
            state.batches.append(batch_id)
            save_state(config, state)
            self.say(f"Stapel {batch_id} läuft an der Scanstation ...")
            status = client.wait_batch(batch_id, config.batch_timeout, self.say)
            timings.batch_done = time.monotonic()
        finally:
            client.close()
        if status["state"] != "done":
            raise FlowError(
                f"Der Stapel {batch_id} ist gescheitert: {status['message']}"
            )
        return batch_id, True

    def _last_batch(self, started: list[str]) -> str:
        if started:
            return started[-1]
        store = StationStore(self.config.station / "daten" / "station.sqlite3")
        done = [b for b in store.batches() if b.state == "done"]
        if not done:
            raise FlowError(
                "Die Beispielpost wurde eingespeist, aber kein Stapel lief."
            )
        return done[0].id

    def wait_settled(self, batch_id: str, truth: GroundTruth) -> list[Outcome]:
        """Outcomes once each is settled, or as they are at ``settle_timeout``
        (a receiver down: the jobs keep retrying, the report shows them waiting)."""
        deadline = time.monotonic() + self.config.settle_timeout
        while True:
            found = outcomes(self.config, batch_id, truth)
            if found and all(o.settled for o in found):
                return found
            if time.monotonic() > deadline:
                return found
            for child in self.children:
                if not child.alive():
                    raise FlowError(
                        f"{child.name} ist unerwartet beendet:\n{child.tail()}"
                    )
            time.sleep(0.2)

    def wait_heartbeat(self, timeout: float = 30.0) -> Beat | None:
        """The station's heartbeat as the fleet recorded it (its first beat goes
        out when it starts; ``None`` without a device credential or in time)."""
        config = self.config
        if load_credential(config.credential_dir) is None:
            return None
        deadline = time.monotonic() + timeout
        while (
            beat := last_beat(config.db, STATION_NAME, config.database_url)
        ) is None and time.monotonic() < deadline:
            time.sleep(0.2)
        return beat

    def alive(self) -> bool:
        return all(child.alive() for child in self.children)

    def stop(self) -> None:
        for child in reversed(self.children):
            child.stop()
        self.children.clear()


def _enrolment(config: FlowConfig) -> EnrolmentSettings:
    return EnrolmentSettings(
        marketplace_url=config.marketplace_url,
        municipality_ags=AGS,
        state_dir=config.credential_dir,
        outbox_dir=config.station / "postausgang",
    )


def write_heartbeat_settings(config: FlowConfig) -> Path:
    """The fleet side of the station's settings (``/etc/scanstation/settings.json``
    on a provisioned device), for its heartbeat."""
    path = config.credential_dir / "settings.json"
    path.write_bytes(msgspec.json.encode(_enrolment(config), enc_hook=str))
    return path
