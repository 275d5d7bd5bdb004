"""Web page fixtures: a browser-like client that handles the CSRF token."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

import pytest
from httpx import Response
from litestar import Litestar
from litestar.testing import AsyncTestClient

_CSRF_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')

PostForm = Callable[[str, str, dict[str, str]], Awaitable[Response]]


def csrf_token(html: str) -> str:
    match = _CSRF_FIELD.search(html)
    assert match, "page has no CSRF field"
    return match[1]


@pytest.fixture
def post_form(client: AsyncTestClient[Litestar]) -> PostForm:
    """GET ``page`` like a browser, then POST ``fields`` to ``action`` with its token."""

    async def post(page: str, action: str, fields: dict[str, str]) -> Response:
        shown = await client.get(page, headers={"Accept": "text/html"})
        assert shown.status_code == 200, shown.text
        return await client.post(
            action,
            data={**fields, "_csrf_token": csrf_token(shown.text)},
            headers={"Accept": "text/html"},
            follow_redirects=False,
        )

    return post
