"""Delivery with document bodies in an S3 bucket (moto, an AWS S3 emulator):
scanned mail from the intake and online submissions are stored in the bucket
and read back from it by the delivery engine for every receiver kind."""

from tests.marketplace.delivery.test_routes_and_separation import *  # noqa: F403
from tests.marketplace.delivery.test_scanned_mail import *  # noqa: F403
