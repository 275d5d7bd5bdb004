"""The OpenAPI document of a Litestar app that does not serve one.

The appliance station and the reference receivers are built with
``openapi_config=None`` (they publish no API document). Litestar still records
their routes in its OpenAPI plugin; giving the plugin a configuration afterwards
yields the document the app would serve, which schemathesis can then fuzz against
the running process.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import httpx
import msgspec
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin
from litestar.config.app import AppConfig
from litestar.openapi import OpenAPIConfig
from schemathesis import Case
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.schemas import APIOperation


def openapi_document(app: Litestar, title: str) -> dict[str, Any]:
    plugin = app.plugins.get(OpenAPIPlugin)
    plugin.on_app_init(
        AppConfig(openapi_config=OpenAPIConfig(title=title, version="0"))
    )
    document: dict[str, Any] = plugin.provide_openapi_schema()
    return document


def fuzz(
    document: dict[str, Any],
    base_url: str,
    *,
    headers: Sequence[dict[str, str]] = ({},),
    max_examples: int = 5,
    skip: Sequence[tuple[str, str]] = (),
    sign: Callable[[bytes], dict[str, str]] | None = None,
) -> list[str]:
    """Send generated requests (valid and invalid) for every operation of
    ``document`` to ``base_url``, once per header set; fail on a 5xx answer.
    ``skip`` names (method, path) pairs left out; ``sign`` adds headers computed
    from a raw body (an HMAC, say); returns the operations fuzzed."""
    schema = schemathesis.openapi.from_dict(document)
    fuzzed = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), f"unusable operation: {result}"
        operation = result.ok()
        if (operation.method.upper(), operation.path) in skip:
            continue

        @settings(
            max_examples=max_examples,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def call(case: Case[Any]) -> None:
            for extra in headers:
                case.call_and_validate(
                    base_url=base_url,
                    headers=extra,
                    checks=[not_a_server_error],
                    timeout=30,
                )

        call()
        if operation.method.upper() in ("POST", "PUT", "PATCH") and not operation.body:
            _raw_bodies(base_url, operation, headers, max_examples, sign)
        fuzzed.append(f"{operation.method.upper()} {operation.path}")
    return fuzzed


def _raw_bodies(
    base_url: str,
    operation: APIOperation[Any, Any, Any, Any],
    headers: Sequence[dict[str, str]],
    max_examples: int,
    sign: Callable[[bytes], dict[str, str]] | None,
) -> None:
    """Handlers that read the raw request body document none: send them arbitrary
    bytes and arbitrary JSON (path parameters from the document's strategy)."""
    bodies = st.binary(max_size=2000) | st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=30),
        lambda inner: (
            st.lists(inner, max_size=4)
            | st.dictionaries(st.text(max_size=10), inner, max_size=4)
        ),
        max_leaves=20,
    ).map(msgspec.json.encode)

    @settings(
        max_examples=max_examples * 4,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(), body=bodies)
    def send(case: Case[Any], body: bytes) -> None:
        url = base_url + case.formatted_path
        for extra in headers:
            signed = extra | (sign(body) if sign else {})
            answer = httpx.request(
                operation.method.upper(), url, content=body, headers=signed, timeout=30
            )
            assert answer.status_code < 500, f"{url}: {answer.status_code}"

    send()
