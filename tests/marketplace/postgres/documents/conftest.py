"""The retention tests' fixtures, for running them on PostgreSQL."""

from tests.marketplace.documents.conftest import *  # noqa: F403
