"""Stations (tests/marketplace/fleet/test_enrolment_and_devices.py) on
PostgreSQL: registration, one-time enrolment tokens, signed device calls,
heartbeats, revocation, scoping."""

from tests.marketplace.fleet.test_enrolment_and_devices import *  # noqa: F403
