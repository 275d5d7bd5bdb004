"""A provisioning run (real Ansible, the small playbook) with its live events, and
a run no process executes, on PostgreSQL (tests/marketplace/fleet/test_runs.py).
The other run tests (drift, rollouts, unreachable hosts) go through the same
tables and SQL and stay on SQLite to keep the suite short."""

from tests.marketplace.fleet.test_runs import (  # noqa: F401
    test_run_left_running_by_a_restart_is_reported_interrupted,
    test_run_streams_events_and_stores_the_result,
)
