"""The demo flow (tests/demo/test_flow.py) in the scale-out mode: the
marketplace as two workers on PostgreSQL, the second node on its SQLite file.
The station enrols in the fleet on PostgreSQL and delivers every document signed
with its own device key and beats to the fleet there; the run twice on the same state folder scans nothing
again and delivers nothing twice; the second node replicates the catalog from
the PostgreSQL node. (The SQLite file check of the original stays there.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace.demo.flow import Flow, FlowConfig
from marketplace.demo.flow.repository import receivers
from marketplace.demo.receivers import Ports
from tests.demo.test_flow import (  # noqa: F401
    Run,
    test_a_restart_scans_nothing_again_and_delivers_nothing_twice,
    test_every_document_is_delivered_once_or_held_with_its_reason,
    test_routes_match_the_ground_truth,
    test_the_second_node_replicates_the_whole_catalog,
    test_the_station_beats_and_the_fleet_records_its_health,
)
from tests.support.postgres import PostgresServer
from tests.support.processes import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def runs(
    tmp_path_factory: pytest.TempPathFactory, pg_server: PostgresServer
) -> tuple[Run, Run]:
    """The flow on PostgreSQL with two workers, stopped, then started again."""
    var: Path = tmp_path_factory.mktemp("flow-pg")
    config = FlowConfig(
        var=var,
        marketplace_port=free_port(),
        station_port=free_port(),
        receiver_ports=Ports(free_port(), free_port(), free_port()),
        replica_port=free_port(),
        database_url=pg_server.fresh(),
        workers=2,
        settle_timeout=90,
    )
    found = []
    for _ in range(2):
        with Flow(config) as flow:
            result = flow.run()
        found.append((result, receivers(config.receivers_data, var / "ablage")))
    assert not (var / "marketplace.sqlite3").exists()
    return found[0], found[1]
