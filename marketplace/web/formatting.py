"""German number, money and date formatting for the templates."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from urllib.parse import urlencode

from litestar.plugins.jinja import JinjaTemplateEngine


def euro(cents: int | None) -> str:
    """``123456`` -> ``1.234,56 €``; exact, no floats."""
    if cents is None:
        return "–"
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(cents), 100)
    return f"{sign}{number(whole)},{rest:02d} €"


def number(value: int | None) -> str:
    """``616093`` -> ``616.093``."""
    if value is None:
        return "–"
    return f"{value:,}".replace(",", ".")


def size(value: int | None) -> str:
    """Bytes in German notation: ``12345678901`` -> ``12,3 GB`` (MB below 1 GB)."""
    if value is None:
        return "–"
    unit, scale = ("GB", 10**9) if value >= 10**9 else ("MB", 10**6)
    tenths = (value * 10 + scale // 2) // scale
    return f"{number(tenths // 10)},{tenths % 10} {unit}"


_VERSION = re.compile(r"\d+(?:\.\d+)+(?:[-+~][0-9A-Za-z.+~-]*)?")


def short_version(text: str | None) -> str:
    """A program's version line down to its version:
    ``scanimage (sane-backends) 1.1.1-debian; backend version 1.1.1`` -> ``1.1.1-debian``."""
    if not text:
        return "–"
    found = _VERSION.search(text)
    return found[0].rstrip(".") if found else text


def date(value: str | datetime | None) -> str:
    """An ISO timestamp or date as ``22.11.2026`` (with time when there is one)."""
    if not value:
        return "–"
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    if isinstance(value, str) and len(value) <= 10:
        return moment.strftime("%d.%m.%Y")
    return moment.strftime("%d.%m.%Y %H:%M")


def query_url(path: str, params: Mapping[str, object], **changes: object) -> str:
    """``path`` with ``params`` updated by ``changes``; ``None`` removes a key."""
    merged = {**params, **changes}
    kept = {k: str(v) for k, v in merged.items() if v not in (None, "")}
    return f"{path}?{urlencode(kept)}" if kept else path


def register_filters(engine: JinjaTemplateEngine) -> None:
    engine.engine.filters.update(
        {
            "euro": euro,
            "number": number,
            "date": date,
            "size": size,
            "short_version": short_version,
        }
    )
    engine.engine.globals["query_url"] = query_url
