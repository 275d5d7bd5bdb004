"""Schemathesis against the reference receivers, bounded.

The receivers publish no OpenAPI document (``openapi_config=None``); the document
their routes would have is derived from the same ``create_app`` (see
``tests.support.openapi``) and every operation gets generated requests against the
receiver running as a real process of its own. None may produce a server error.
``PUT /_faults`` is left out: it is the tests' own switchboard, and a generated
delay or failure count would only slow the receiver down on purpose.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from litestar import Litestar

from connectors.receivers import common, eakte, fitconnect, webhook
from connectors.signing import signed_headers
from tests.connectors.conftest import DESTINATION, FIT_SECRET, WEBHOOK_SECRET, Receiver
from tests.support.openapi import fuzz, openapi_document

pytestmark = pytest.mark.slow

SKIP = [("PUT", "/_faults")]
EXTRA = {
    "webhook": ["--secret", WEBHOOK_SECRET],
    "eakte": [],
    "fitconnect": ["--client-secret", FIT_SECRET, "--destination-id", DESTINATION],
}


def _app(module: str, data: Path) -> Litestar:
    faults = common.Faults()
    if module == "webhook":
        return webhook.create_app(data, WEBHOOK_SECRET.encode(), faults)
    if module == "eakte":
        return eakte.create_app(data, faults)
    return fitconnect.create_app(
        data,
        faults,
        destination_id=DESTINATION,
        client_id="efa-marktplatz",
        client_secret=FIT_SECRET,
        auto_confirm=False,
    )


@pytest.fixture(scope="module", params=sorted(EXTRA))
def receiver(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, Receiver]]:
    module: str = request.param
    running = Receiver(module, tmp_path_factory.mktemp(module) / "data", EXTRA[module])
    running.start()
    yield module, running
    running.stop()


def test_no_receiver_operation_fails_on_generated_input(
    receiver: tuple[str, Receiver],
) -> None:
    """GIVEN a reference receiver running as its own process and the OpenAPI
    document of its routes WHEN every operation but the fault switchboard gets
    generated requests (anonymous, and with a FIT-Connect access token; raw bodies
    of the webhook signed with its secret so they reach the decoder) THEN none
    answers with a server error, the receiver is still healthy afterwards, and
    every route was fuzzed."""
    module, running = receiver
    document = openapi_document(_app(module, running.data), f"{module} receiver")
    headers: list[dict[str, str]] = [{}]
    if module == "fitconnect":
        headers.append({"Authorization": f"Bearer {_access_token(running)}"})
    sign = None
    if module == "webhook":
        sign = functools.partial(signed_headers, WEBHOOK_SECRET.encode())
    fuzzed = fuzz(
        document, running.base, headers=headers, max_examples=4, skip=SKIP, sign=sign
    )
    assert len(fuzzed) == len(_operations(document)) - len(SKIP)
    assert httpx.get(f"{running.base}/health", timeout=10).status_code == 200
    if module == "webhook":  # signed bodies reached the submission decoder
        counters = httpx.get(f"{running.base}/_stats", timeout=10).json()["counters"]
        assert counters.get("invalid", 0) > 0, counters


def _access_token(running: Receiver) -> str:
    answer = httpx.post(
        f"{running.base}/token",
        data={"client_id": "efa-marktplatz", "client_secret": FIT_SECRET},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def _operations(document: dict[str, object]) -> list[tuple[str, str]]:
    paths = document["paths"]
    assert isinstance(paths, dict)
    return [(m.upper(), p) for p, item in paths.items() for m in item]
