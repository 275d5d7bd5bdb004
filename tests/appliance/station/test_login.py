"""Operator login: every route of the station app refuses without a login (routes
enumerated from the app's route table, so new routes are covered at once), the
login form needs the right password and its CSRF token, and accounts are made
with ``appliance station user add NAME``."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from litestar import Litestar
from litestar.testing import TestClient

from appliance.station.app import create_app
from appliance.station.auth import PUBLIC, Users
from appliance.station.settings import load_settings
from tests.support.processes import VENV_BIN

from .letters import station_folder
from .login import PASSWORD, USER, csrf_token, login_client
from .test_pages import EID

SAMPLES = {"int": "1", "str": "x", "path": "/station.css"}


def concrete(path: str) -> str:
    """A request path for a route path: ``{doc_id:int}`` -> ``1`` and so on."""
    return re.sub(r"\{\w+:(\w+)\}", lambda m: SAMPLES[m[1]], path).replace("//", "/")


def every_route(app: Litestar) -> list[tuple[str, str]]:
    return sorted(
        (method, route.path)
        for route in app.routes
        for method in getattr(route, "methods", set())
        if method not in ("HEAD", "OPTIONS")
    )


def app_with_eid(tmp_path: Path) -> Litestar:
    settings = station_folder(tmp_path)
    settings.write_text(settings.read_text() + EID, encoding="utf-8")
    return create_app(load_settings(settings))


def test_every_route_refuses_without_login(tmp_path: Path) -> None:
    """GIVEN the station app with the eID desk mounted
    WHEN every method of every route in its route table is requested without a
    session (GET and POST alike, path parameters filled in)
    THEN pages send the browser to the login page, everything else answers 401,
    except the login page and /static; after logging in the same pages open."""
    app = app_with_eid(tmp_path)
    routes = every_route(app)
    assert ("POST", "/dokumente/{doc_id:int}/{action:str}") in routes
    assert ("POST", "/eid/confirm") in routes
    refused = []
    with TestClient(app) as client:
        for method, path in routes:
            if any(path == p or path.startswith(p + "/") for p in PUBLIC):
                continue
            answer = client.request(method, concrete(path), follow_redirects=False)
            if method == "GET" and not path.startswith("/api/"):
                assert answer.status_code == 303, (method, path)
                assert answer.headers["location"].startswith("/anmelden?weiter=/")
            else:
                assert answer.status_code == 401, (method, path)
                assert "anmelden" in answer.text
            refused.append(path)
        assert len(refused) >= 15
        public = {p for _, p in routes} - set(refused)
        assert {p.split("/")[1] for p in public} == {"anmelden", "static"}
        login_client(client)
        assert client.get("/").status_code == 200
        assert client.get("/eid/").status_code == 200
        assert client.get("/vorschau/x.png").status_code == 404  # no longer refused


def test_login_needs_the_right_password_and_the_csrf_token(tmp_path: Path) -> None:
    """GIVEN a station with one account
    WHEN logging in with a wrong password, without the CSRF token, and correctly,
    then logging out
    THEN the wrong password is refused in German, the missing token with 403, the
    right one opens the station, and after logging out it is refused again."""
    with TestClient(create_app(load_settings(station_folder(tmp_path)))) as client:
        form = client.get("/anmelden").text
        assert "<h1>Anmelden</h1>" in form
        token = csrf_token(form)
        wrong = client.post(
            "/anmelden",
            data={"name": USER, "password": "falsch-123", "_csrf_token": token},
        )
        assert "Name oder Passwort falsch." in wrong.text
        assert client.get("/", follow_redirects=False).status_code == 303
        bare = client.post("/anmelden", data={"name": USER, "password": PASSWORD})
        assert bare.status_code == 403
        login_client(client)
        assert "Neuen Stapel starten" in client.get("/").text
        out = client.post("/abmelden", data={"_csrf_token": token})
        assert out.status_code == 200  # followed to the login page
        assert client.get("/", follow_redirects=False).status_code == 303


def test_user_add_command_creates_an_account(tmp_path: Path) -> None:
    """GIVEN a station folder
    WHEN ``appliance station user add NAME`` runs with the password on stdin, and
    again for the same name, and with a short password
    THEN the account exists and verifies; the repeat and the short password are
    refused in German with exit code 1."""
    settings = station_folder(tmp_path)
    argv = [str(VENV_BIN / "appliance"), "station", "--settings", str(settings)]
    done = subprocess.run(
        [*argv, "user", "add", "poertner"],
        input="lang-genug-1\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "angelegt" in done.stdout
    users = Users(tmp_path / "daten" / "station.sqlite3")
    assert users.verify("poertner", "lang-genug-1")
    assert not users.verify("poertner", "lang-genug-2")
    again = subprocess.run(
        [*argv, "user", "add", "poertner"],
        input="lang-genug-1\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert (again.returncode, "gibt es schon" in again.stderr) == (1, True)
    short = subprocess.run(
        [*argv, "user", "add", "kurz"],
        input="kurz\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert (short.returncode, "mindestens 8 Zeichen" in short.stderr) == (1, True)
