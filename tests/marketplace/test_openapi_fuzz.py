"""Schemathesis against the running marketplace's OpenAPI document, bounded.

Every operation gets generated requests, valid and invalid, anonymous and as
the operator; none may produce a server error, and every answer must have the
content type and, where the document describes it, the shape it promises.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from marketplace.app import create_app
from marketplace.settings import Settings
from tests.support.processes import start_marketplace

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("fuzz")
    process, base = start_marketplace(folder / "fuzz.sqlite3", folder / "server.log")
    yield base
    process.stop()


@pytest.fixture(scope="module")
def operator(live: str) -> dict[str, str]:
    response = httpx.post(
        f"{live}/api/v1/auth/tokens",
        json={"login": "betrieb", "password": "demo-betrieb"},
    )
    return {"Authorization": f"Bearer {response.json()['token']}"}


def _document() -> dict[str, object]:
    """The same document the server serves at /schema/openapi.json (checked below)."""
    app = create_app(Settings(db_path=Path("unused.sqlite3")))
    return app.openapi_schema.to_schema()


schema = schemathesis.openapi.from_dict(_document())


def test_served_document_is_the_one_fuzzed(live: str) -> None:
    served = httpx.get(f"{live}/schema/openapi.json").json()
    assert served["paths"].keys() == _document()["paths"].keys()  # type: ignore[attr-defined]


@schema.parametrize()
@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_no_operation_fails_on_generated_input(
    case: Case, live: str, operator: dict[str, str]
) -> None:
    """GIVEN generated requests WHEN sent anonymously and as the operator THEN never
    a 5xx and every response conforms to the document."""
    checks = [not_a_server_error, content_type_conformance, response_schema_conformance]
    case.call_and_validate(base_url=live, checks=checks)
    case.call_and_validate(base_url=live, headers=operator, checks=checks)
