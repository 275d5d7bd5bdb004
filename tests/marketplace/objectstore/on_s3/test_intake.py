"""Documents from appliances (tests/marketplace/intake/) with their bodies in an
S3 bucket (moto, an AWS S3 emulator): stored once however often and however
concurrently they arrive, read back through the API, bad bytes never stored."""

from tests.marketplace.intake.test_intake import *  # noqa: F403
