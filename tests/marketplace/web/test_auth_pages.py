"""Login and logout on the web pages."""

from __future__ import annotations

from litestar import Litestar
from litestar.testing import AsyncTestClient

from marketplace.identity.schemas import Role
from tests.marketplace.conftest import MakeAccount
from tests.marketplace.web.conftest import PostForm

HTML = {"Accept": "text/html"}


async def test_login_sets_a_session_and_logout_ends_it(
    client: AsyncTestClient[Litestar], make_account: MakeAccount, post_form: PostForm
) -> None:
    """GIVEN a municipality account WHEN it logs in on the page THEN it lands on its
    dashboard with a session cookie; WHEN it logs out THEN the session is gone."""
    await make_account("leipzig", Role.MUNICIPALITY_BUYER, municipality_ags="14713000")
    response = await post_form(
        "/anmelden", "/anmelden", {"login": "leipzig", "password": "correct-horse"}
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/kommune"
    assert client.cookies.get("mp_session", "").startswith("mps_")
    me = await client.get("/api/v1/me")
    assert me.json()["login"] == "leipzig"

    response = await post_form("/anmelden", "/abmelden", {})
    assert response.status_code == 303
    assert (await client.get("/api/v1/me")).status_code == 401


async def test_wrong_password_shows_the_form_again(
    client: AsyncTestClient[Litestar], make_account: MakeAccount, post_form: PostForm
) -> None:
    """GIVEN a wrong password WHEN submitted THEN 401, a German message, no cookie."""
    await make_account("leipzig", Role.MUNICIPALITY_BUYER, municipality_ags="14713000")
    response = await post_form(
        "/anmelden", "/anmelden", {"login": "leipzig", "password": "wrong-horse"}
    )
    assert response.status_code == 401
    assert "Benutzername oder Passwort ist falsch." in response.text
    assert "mp_session" not in client.cookies


async def test_login_never_redirects_off_site(
    client: AsyncTestClient[Litestar], make_account: MakeAccount, post_form: PostForm
) -> None:
    """GIVEN a hostile ``weiter`` target WHEN logging in THEN the redirect stays here."""
    await make_account("op", Role.OPERATOR)
    response = await post_form(
        "/anmelden",
        "/anmelden",
        {"login": "op", "password": "correct-horse", "weiter": "//evil.example/"},
    )
    assert response.headers["location"] == "/"


async def test_form_post_without_csrf_token_is_refused(
    client: AsyncTestClient[Litestar],
) -> None:
    """GIVEN no CSRF token WHEN a form is posted THEN 403 and nothing happens."""
    response = await client.post(
        "/anmelden", data={"login": "x", "password": "y"}, headers=HTML
    )
    assert response.status_code == 403
    assert "text/html" in response.headers["content-type"]


async def test_pages_answer_unknown_paths_in_german_html(
    client: AsyncTestClient[Litestar],
) -> None:
    """GIVEN a browser WHEN it asks for a page that does not exist THEN German HTML."""
    response = await client.get("/gibt-es-nicht", headers=HTML)
    assert response.status_code == 404
    assert "Nicht gefunden" in response.text
    assert "<html" in response.text
