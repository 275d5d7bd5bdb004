"""Operator login for the station page.

Accounts live in the station's SQLite file (table ``users``: name and an scrypt
password hash), created with ``appliance station user add NAME``. A successful
login puts the name into the session (an encrypted cookie; the key is made anew
at every start, so a restart logs everyone out). ``RequireLogin`` refuses every
request without a session, whatever its route, except the login page itself
and the style sheet and script under ``/static``: a page asked for with GET is
redirected to the login page, everything else answered 401. Forms carry the
CSRF token of the app's CSRF middleware, the login form included.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from appliance.station.batches import StationError

LOGIN_PATH = "/anmelden"
PUBLIC = (LOGIN_PATH, "/static")  # everything else needs a logged-in operator
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}
NAME_PATTERN = r"^[A-Za-z0-9._@-]{1,64}$"


def hash_password(password: str, salt: bytes | None = None) -> str:
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, dklen=32, **_SCRYPT)
    encoded = [base64.b64encode(v).decode() for v in (salt, digest)]
    return "scrypt$" + "$".join(encoded)


def check_password(password: str, stored: str) -> bool:
    try:
        kind, salt, _ = stored.split("$")
        expected = hash_password(password, base64.b64decode(salt))
    except ValueError:
        return False
    return kind == "scrypt" and hmac.compare_digest(expected, stored)


class Users:
    """Operator accounts in the station database."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with self._connect() as conn:
            conn.execute(
                "CREATE TABLE IF NOT EXISTS users (name TEXT PRIMARY KEY,"
                " password_hash TEXT NOT NULL, created_at TEXT NOT NULL)"
            )

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None)
        conn.execute("PRAGMA busy_timeout = 10000")
        return conn

    def add(self, name: str, password: str) -> None:
        if len(password) < 8:
            raise StationError("Das Passwort muss mindestens 8 Zeichen haben.")
        conn = self._connect()
        try:
            conn.execute(
                "INSERT INTO users VALUES (?, ?, ?)",
                (name, hash_password(password), datetime.now(UTC).isoformat()),
            )
        except sqlite3.IntegrityError as exc:
            raise StationError(f"Das Konto „{name}“ gibt es schon.") from exc
        finally:
            conn.close()

    def verify(self, name: str, password: str) -> bool:
        conn = self._connect()
        try:
            row = conn.execute(
                "SELECT password_hash FROM users WHERE name = ?", (name,)
            ).fetchone()
        finally:
            conn.close()
        stored = row[0] if row else hash_password("", b"\0" * 16)  # same work
        return check_password(password, stored) and row is not None

    def count(self) -> int:
        conn = self._connect()
        try:
            return int(conn.execute("SELECT count(*) FROM users").fetchone()[0])
        finally:
            conn.close()


def is_public(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in PUBLIC)


class RequireLogin(ASGIMiddleware):
    """Refuses every request without a logged-in operator (see module docstring)."""

    scopes = (ScopeType.HTTP,)

    async def handle(
        self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp
    ) -> None:
        session = scope.get("session")
        user = session.get("user") if isinstance(session, dict) else None
        if is_public(scope["path"]) or user:
            await next_app(scope, receive, send)
        elif scope.get("method") == "GET" and not scope["path"].startswith("/api/"):
            target = f"{LOGIN_PATH}?weiter={quote(scope['path'])}"
            await _answer(send, 303, b"", [(b"location", target.encode())])
        else:
            await _answer(send, 401, b"Bitte zuerst anmelden.", [])


async def _answer(
    send: Send, status: int, body: bytes, headers: list[tuple[bytes, bytes]]
) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
