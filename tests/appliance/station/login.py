"""The operator account every test station gets, and logging in with it."""

from __future__ import annotations

import re
from typing import Protocol

from playwright.sync_api import Page

USER = "frau.beispiel"
PASSWORD = "geheim-1234"


class FormClient(Protocol):  # httpx.Client and Litestar's TestClient
    def get(self, url: str) -> object: ...
    def post(
        self, url: str, *, data: dict[str, str], follow_redirects: bool
    ) -> object: ...


def csrf_token(html: str) -> str:
    found = re.search(r'name="_csrf_token" value="([^"]+)"', html)
    assert found is not None, html[:500]
    return found[1]


def login_client(client: FormClient) -> None:
    """Log in through the form (CSRF token included); the client keeps the cookie."""
    page = client.get("/anmelden")
    answer = client.post(
        "/anmelden",
        data={
            "name": USER,
            "password": PASSWORD,
            "_csrf_token": csrf_token(page.text),  # type: ignore[attr-defined]
        },
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text  # type: ignore[attr-defined]
    assert answer.headers["location"] == "/"  # type: ignore[attr-defined]


def login_browser(page: Page, url: str) -> None:
    page.goto(f"{url}/anmelden")
    page.get_by_label("Name").fill(USER)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(f"{url}/")
