"""Schemathesis against a running station (``appliance serve``), bounded.

The station publishes no OpenAPI document; the document of its routes is derived
from the same ``create_app`` (``tests.support.openapi``). Every operation gets
generated requests, anonymously and with the operator's session cookie; none may
produce a server error. Forms without the CSRF token are refused before their
handler runs, which is part of what is checked.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from appliance.station.app import create_app
from appliance.station.settings import load_settings
from tests.support.openapi import fuzz, openapi_document
from tests.support.processes import VENV_BIN, LiveProcess, free_port

from .letters import station_folder
from .login import login_client

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    folder = tmp_path_factory.mktemp("station-fuzz")
    port = free_port()
    settings = station_folder(folder, port=port)
    argv = [str(VENV_BIN / "appliance"), "serve", "--settings", str(settings)]
    process = LiveProcess(argv, folder / "station.log", {})
    url = f"http://127.0.0.1:{port}"
    try:
        process.wait_http(f"{url}/anmelden")
        yield url, settings
    finally:
        process.stop()


def test_no_station_operation_fails_on_generated_input(
    live: tuple[str, Path],
) -> None:
    """GIVEN a running station and the OpenAPI document of its routes WHEN every
    operation gets generated requests anonymously and as the logged-in operator
    THEN none answers with a server error, every route was fuzzed, and the
    station still serves its start page to the operator."""
    url, settings = live
    document = openapi_document(create_app(load_settings(settings)), "station")
    with httpx.Client(base_url=url) as operator:
        login_client(operator)
        cookie = "; ".join(f"{k}={v}" for k, v in operator.cookies.items())
        fuzzed = fuzz(document, url, headers=[{}, {"Cookie": cookie}], max_examples=4)
        paths = document["paths"]
        assert len(fuzzed) == sum(len(item) for item in paths.values())
        assert operator.get("/").status_code == 200
