"""An enrolled station delivers into the intake of a PostgreSQL node with its own
device credential, for its own municipality only, until it is revoked
(tests/marketplace/fleet/test_intake_devices.py)."""

from tests.marketplace.fleet.test_intake_devices import *  # noqa: F403
