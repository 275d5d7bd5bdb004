"""The README's first command end to end: the flow module with real processes
(marketplace, reference receivers, scan station) on free ports, the real pipeline
(cleanup, zxing-cpp, tesseract) on the generated sample mail, the station's own
device credential, the marketplace's delivery engine. Run twice on the same state
folder to prove a restart neither scans again nor delivers twice."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from appliance.outbox import State
from marketplace.demo.flow import Flow, FlowConfig, FlowResult
from marketplace.demo.flow.config import STATION_NAME
from marketplace.demo.flow.outcome import Outcome, batch_pages
from marketplace.demo.flow.report import render
from marketplace.demo.flow.repository import Stored, receivers
from marketplace.demo.mail import MAIL_SERVICES
from marketplace.demo.receivers import Ports
from tests.support.processes import free_port

pytestmark = pytest.mark.slow

KINDS = {"fit-connect": "fitconnect", "xdomea": "xdomea", "dms": "dropfolder"}
LEIKA_OF = {m.subscription: m.leika for m in MAIL_SERVICES}

Run = tuple[FlowResult, list[Stored]]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Run, Run]:
    """The flow, stopped, then started again on the same ``var`` folder."""
    var = tmp_path_factory.mktemp("flow")
    config = FlowConfig(
        var=var,
        marketplace_port=free_port(),
        station_port=free_port(),
        receiver_ports=Ports(free_port(), free_port(), free_port()),
        replica_port=free_port(),
        settle_timeout=90,
    )
    found = []
    for number in range(2):
        with Flow(config) as flow:
            result = flow.run()
            if number == 0:
                FLEET_RUNS.extend(fleet_runs(config.marketplace_url))
        found.append((result, receivers(config.receivers_data, var / "ablage")))
    return found[0], found[1]


FLEET_RUNS: list[dict[str, Any]] = []


def fleet_runs(base: str) -> list[dict[str, Any]]:
    """The operator provisions the demo station, then asks for a drift report,
    over the fleet's API while the flow serves; both runs as they ended."""
    login = {"login": "betrieb", "password": "demo-betrieb"}
    token = httpx.post(f"{base}/api/v1/auth/tokens", json=login).json()["token"]
    operator = {"Authorization": f"Bearer {token}"}
    ended = []
    for check_mode in (False, True):
        body = {"appliances": [STATION_NAME], "check_mode": check_mode}
        run = httpx.post(f"{base}/api/v1/fleet/runs", json=body, headers=operator)
        assert run.status_code == 202, run.text
        deadline = time.monotonic() + 120
        while (state := run.json())["state"] in ("queued", "running"):
            assert time.monotonic() < deadline, state
            time.sleep(0.3)
            run = httpx.get(f"{base}/api/v1/fleet/runs/{state['id']}", headers=operator)
        ended.append(run.json())
    return ended


def _stored_keys(stored: list[Stored]) -> list[str]:
    return [key for s in stored for key in s.keys]


def _delivered_once(outcome: Outcome, stored: list[Stored]) -> bool:
    """Committed, received by the marketplace, every job delivered, and each
    job's key stored by exactly one receiver exactly once."""
    if outcome.market is None or not outcome.market.jobs:
        return False
    keys = _stored_keys(stored)
    copies = {k: n for s in stored for k, n in s.keys.items()}
    return all(
        job.state == "delivered"
        and job.reference
        and keys.count(job.idempotency_key) == 1
        and copies[job.idempotency_key] == 1
        for job in outcome.market.jobs
    )


def _held_with_reason(outcome: Outcome) -> bool:
    """Waiting at the station for a person, or kept by the marketplace as not
    deliverable, with the reason given."""
    if not outcome.committed:
        return outcome.needs_review and bool(outcome.reason)
    market = outcome.market
    return bool(market and market.undeliverable_reason and not market.jobs)


def test_every_document_is_delivered_once_or_held_with_its_reason(
    runs: tuple[Run, Run],
) -> None:
    """GIVEN the 17-sheet sample mail fed into the station's input folder
    WHEN the flow has run
    THEN every sheet was captured, the station separated the planned documents,
    and each one is either in a receiver exactly once or held with its reason
    (3 + 4 = 7): the three with a subscribed service delivered, the negative-list
    letter and the Widerspruch (no LeiKa) kept by the marketplace, the ID copy
    and the unclear letter waiting at the station; nothing sent twice anywhere."""
    (result, stored), _ = runs
    assert result.scanned_now
    assert result.settled
    assert batch_pages(result.config, result.batch_id) == len(result.truth.pages)
    assert len(result.outcomes) == len(result.truth.documents) == 7
    delivered = [o for o in result.outcomes if _delivered_once(o, stored)]
    held = [o for o in result.outcomes if _held_with_reason(o)]
    assert len(delivered) + len(held) == len(result.outcomes)
    assert not set(map(id, delivered)) & set(map(id, held))
    templates = {o.truth.template for o in delivered if o.truth}
    assert templates == {"meldebescheinigung", "hundesteuer", "bauantrag"}
    at_station = {o.truth.template for o in held if o.truth and not o.committed}
    assert at_station == {"wohngeld", "anfrage"}
    for outcome in result.outcomes:
        if outcome.committed:
            assert outcome.outbox is not None
            assert outcome.outbox.state is State.DELIVERED
            assert outcome.market is not None
            assert outcome.market.sender == STATION_NAME  # its device signature
            assert outcome.market.device
    assert all(n == 1 for s in stored for n in s.keys.values())


def test_routes_match_the_ground_truth(runs: tuple[Run, Run]) -> None:
    """GIVEN the sample mail's ground truth
    WHEN the flow has run
    THEN each document got the office, LeiKa key and flags the truth plans, and
    each delivered one went to the subscription of that LeiKa key through a
    route of the kind its planned route names (FIT-Connect, xdomea, DMS)."""
    (result, _), _ = runs
    for outcome in result.outcomes:
        truth = outcome.truth
        assert truth is not None
        assert (outcome.office, outcome.leika_key) == (truth.office, truth.leika_key)
        assert outcome.route == truth.route
        assert outcome.needs_review == truth.needs_review
        assert outcome.keep_original == truth.keep_original
        assert outcome.id_copy == truth.id_copy
        market = outcome.market
        if market is None or not market.jobs:
            continue
        assert truth.route is not None
        assert market.subscription_id is not None
        assert LEIKA_OF[market.subscription_id] == truth.leika_key
        assert [job.kind for job in market.jobs] == [KINDS[truth.route.split(":")[0]]]


def test_a_restart_scans_nothing_again_and_delivers_nothing_twice(
    runs: tuple[Run, Run],
) -> None:
    """GIVEN the flow has run once
    WHEN it is started again on the same state folder
    THEN no batch is started, the report shows the same batch and the same
    receipts, and every receiver holds exactly the same keys, each once."""
    (first, stored_first), (again, stored_again) = runs
    assert not again.scanned_now
    assert again.batch_id == first.batch_id
    assert [o.sha256 for o in again.outcomes] == [o.sha256 for o in first.outcomes]
    assert [o.market for o in again.outcomes] == [o.market for o in first.outcomes]
    assert stored_again == stored_first
    assert all(n == 1 for s in stored_again for n in s.keys.values())


def test_the_second_node_replicates_the_whole_catalog(runs: tuple[Run, Run]) -> None:
    """GIVEN the demo node and a second node following it WHEN the flow is ready
    (both runs) THEN the second node's catalog holds every offer of the demo's."""
    for result, _ in runs:
        assert result.replication is not None
        assert result.replication.home_offers == 50
        assert result.replication.replica_offers == 50


def test_state_lives_in_the_var_folder(runs: tuple[Run, Run]) -> None:
    """GIVEN the flow's state folder WHEN it has run THEN the marketplace
    database, the station's credential and the logs are inside it."""
    (result, _), _ = runs
    var: Path = result.config.var
    assert (var / "marketplace.sqlite3").is_file()
    assert (var / "station" / "geraet" / "credential.json").is_file()
    assert {p.name for p in (var / "logs").iterdir()} == {
        "empfaenger.log",
        "marktplatz.log",
        "knoten-zweit.log",
        "scanstation.log",
        "herzschlag.log",
    }


def test_fleet_runs_of_the_demo_touch_only_the_station_folder(
    runs: tuple[Run, Run],
) -> None:
    """GIVEN the demo, whose station is this machine
    WHEN the operator provisions the station and then asks for a drift report
    THEN both runs succeed with the demo's harmless play: the release is written
    into the station's demo folder (changed once), the drift report finds nothing
    to change, and the appliance play (packages, firewall, SSH) never ran."""
    (result, _), _ = runs
    provision, drift = FLEET_RUNS
    assert (provision["state"], drift["state"]) == ("succeeded", "succeeded")
    assert [(r["host"], r["changed"], r["failed"]) for r in provision["results"]] == [
        (STATION_NAME, 1, 0)
    ]
    assert (drift["check_mode"], drift["drift"]) == (True, [])
    release = result.config.station / "release"
    assert release.read_text(encoding="utf-8") == "demo\n"


def test_the_station_beats_and_the_fleet_records_its_health(
    runs: tuple[Run, Run],
) -> None:
    """GIVEN the station enrolled with its device key WHEN the flow runs (both
    runs) THEN its heartbeat reached the fleet register with the versions of its
    programs and an outbox with nothing dead; the report says so."""
    for result, _ in runs:
        beat = result.heartbeat
        assert beat is not None
        assert str(beat.health["tesseract"]).startswith("tesseract 5")
        assert beat.health["dead_letters"] == 0
        assert beat.health["disk_free_bytes"] > 0
        assert f"Herzschlag der Scanstation {beat.at}" in render(result)
