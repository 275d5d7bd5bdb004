"""Retention and orphans (tests/marketplace/documents/) on PostgreSQL, with the
folder and with an S3 bucket."""

from tests.marketplace.documents.test_retention import *  # noqa: F403
