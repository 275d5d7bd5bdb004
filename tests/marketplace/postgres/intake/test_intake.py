"""Documents from appliances (tests/marketplace/intake/) on PostgreSQL: stored
once however often and however concurrently they arrive."""

from tests.marketplace.intake.test_intake import *  # noqa: F403
