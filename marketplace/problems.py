"""The one place where errors become RFC 9457 problem responses (German ``detail``).

Services raise ``MarketplaceError`` subclasses; Litestar raises its own exceptions
for malformed bodies, unknown routes, oversized bodies and the like. Both end up
here as ``application/problem+json`` with ``type``, ``title``, ``status``,
``detail`` and ``instance``. Unexpected exceptions are logged with their traceback
and answered with a generic 500 that reveals nothing internal.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.response import Redirect, Template

from marketplace.errors import MarketplaceError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

_STATUS_TEXT = {
    400: ("Ungültige Anfrage", "bad-request", "Die Anfrage ist fehlerhaft."),
    401: ("Anmeldung erforderlich", "not-authenticated", "Bitte melden Sie sich an."),
    403: (
        "Keine Berechtigung",
        "permission-denied",
        "Diese Aktion ist Ihnen nicht erlaubt.",
    ),
    404: ("Nicht gefunden", "not-found", "Die angefragte Adresse gibt es nicht."),
    405: (
        "Methode nicht erlaubt",
        "method-not-allowed",
        "Diese Methode ist für diese Adresse nicht erlaubt.",
    ),
    413: (
        "Anfrage zu groß",
        "payload-too-large",
        "Der Inhalt der Anfrage überschreitet die zulässige Größe.",
    ),
    415: (
        "Format nicht unterstützt",
        "unsupported-media-type",
        "Das Format des Inhalts wird nicht unterstützt.",
    ),
    429: (
        "Zu viele Anfragen",
        "too-many-requests",
        "Bitte versuchen Sie es später erneut.",
    ),
}

# msgspec's English validation messages, translated for the German ``detail``.
_MSGSPEC_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"Object contains unknown field `(.+?)`"), "Unbekanntes Feld „{0}“"),
    (re.compile(r"Object missing required field `(.+?)`"), "Pflichtfeld „{0}“ fehlt"),
    (
        re.compile(r"Expected `(.+?)`, got `(.+?)`"),
        "Erwartet wird {0}, erhalten wurde {1}",
    ),
    (re.compile(r"Expected `(.+?)` >= (\S+)"), "Der Wert muss mindestens {1} sein"),
    (re.compile(r"Expected `(.+?)` <= (\S+)"), "Der Wert darf höchstens {1} sein"),
    (re.compile(r"Expected `(.+?)` > (\S+)"), "Der Wert muss größer als {1} sein"),
    (re.compile(r"Expected `(.+?)` < (\S+)"), "Der Wert muss kleiner als {1} sein"),
    (re.compile(r"Expected `str` matching regex"), "Das Format ist ungültig"),
    (
        re.compile(r"Expected `(str|array|object)` of length >= (\d+)"),
        "Zu kurz: mindestens {1} Zeichen oder Einträge",
    ),
    (
        re.compile(r"Expected `(str|array|object)` of length <= (\d+)"),
        "Zu lang: höchstens {1} Zeichen oder Einträge",
    ),
    (re.compile(r"Invalid enum value '?(.+?)'?$"), "Unzulässiger Wert „{0}“"),
    (
        re.compile(
            r"(JSON is malformed|Input data was truncated|invalid character)", re.I
        ),
        "Der JSON-Inhalt ist fehlerhaft",
    ),
]
_PATH = re.compile(r" - at `\$(.*)`")


def translate_validation(message: str) -> str:
    """Turn a msgspec/Litestar validation message into German; keep the field path."""
    path_match = _PATH.search(message)
    field = path_match[1].lstrip(".") if path_match else ""
    text = "Die Eingabe ist ungültig"
    for pattern, template in _MSGSPEC_PATTERNS:
        match = pattern.search(message)
        if match:
            text = template.format(*match.groups())
            break
    return f"{text} (Feld „{field}“)." if field else f"{text}."


def problem(
    request: Request[Any, Any, Any],
    *,
    status: int,
    title: str,
    slug: str,
    detail: str,
    extensions: dict[str, object] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    if _wants_page(request):
        return _problem_page(request, status=status, title=title, detail=detail)
    body: dict[str, object] = {
        "type": f"urn:efa-marketplace:problem:{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    body.update(extensions or {})
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def handle_marketplace_error(
    request: Request[Any, Any, Any], exc: MarketplaceError
) -> Response[Any]:
    return problem(
        request,
        status=exc.status_code,
        title=exc.title,
        slug=exc.slug,
        detail=exc.detail,
        extensions=dict(exc.extensions),
    )


def handle_validation_error(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[Any]:
    messages = _validation_messages(exc)
    detail = (
        " ".join(translate_validation(m) for m in messages)
        or "Die Eingabe ist ungültig."
    )
    return problem(
        request,
        status=400,
        title="Ungültige Anfrage",
        slug="validation-failed",
        detail=detail,
        extensions={"errors": messages},
    )


def handle_http_exception(
    request: Request[Any, Any, Any], exc: HTTPException
) -> Response[Any]:
    status = exc.status_code
    title, slug, detail = _STATUS_TEXT.get(
        status, ("Fehler", "error", "Die Anfrage konnte nicht bearbeitet werden.")
    )
    if status >= 500:
        log.error("HTTP %d on %s: %s", status, request.url.path, exc.detail)
        title, slug = "Interner Fehler", "internal-error"
        detail = (
            "Ein interner Fehler ist aufgetreten. Bitte versuchen Sie es später erneut."
        )
    return problem(
        request,
        status=status,
        title=title,
        slug=slug,
        detail=detail,
        headers=dict(exc.headers or {}),
    )


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.error(
        "unhandled error on %s %s", request.method, request.url.path, exc_info=exc
    )
    return problem(
        request,
        status=500,
        title="Interner Fehler",
        slug="internal-error",
        detail="Ein interner Fehler ist aufgetreten. Bitte versuchen Sie es später erneut.",
    )


def _wants_page(request: Request[Any, Any, Any]) -> bool:
    """Browsers on the web pages get a German HTML page; API clients get JSON."""
    if request.url.path.startswith(("/api/", "/schema", "/health")):
        return False
    return "text/html" in request.headers.get("accept", "")


def _problem_page(
    request: Request[Any, Any, Any], *, status: int, title: str, detail: str
) -> Response[Any]:
    if status == 401 and request.method == "GET":
        return Redirect(path="/anmelden", query_params={"weiter": request.url.path})
    return Template(
        template_name="error.html",
        context={"status": status, "title": title, "detail": detail},
        status_code=status,
    )


def _validation_messages(exc: ValidationException) -> list[str]:
    extra = exc.extra
    if isinstance(extra, list) and extra:
        return [
            f"{item.get('message', '')} - at `$.{item.get('key', '')}`"
            if isinstance(item, dict) and item.get("key")
            else str(item.get("message", item) if isinstance(item, dict) else item)
            for item in extra
        ]
    return [str(exc.detail)]


EXCEPTION_HANDLERS: dict[type[Exception] | int, Any] = {
    MarketplaceError: handle_marketplace_error,
    ValidationException: handle_validation_error,
    HTTPException: handle_http_exception,
    Exception: handle_unexpected,
}
