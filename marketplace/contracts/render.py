"""Render a contract template: ``{{name}}`` placeholders from a fixed vocabulary.

Only the names in ``PLACEHOLDERS`` exist; an unknown name, or a ``{{`` or ``}}``
that does not form a placeholder, is an error when an offer is saved and when a
contract is rendered, never silently empty or left standing. Values are inserted
literally in one pass: nothing in a template or a value can run code, reach
attributes or be rendered twice.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping

from marketplace.errors import InvalidInput

PLACEHOLDERS = {
    "anbieter": "Name des Anbieters",
    "kommune": "Name der Kommune",
    "ags": "Amtlicher Gemeindeschlüssel",
    "land": "Land der Kommune",
    "leistung": "Titel der EfA-Leistung",
    "leika": "LeiKa-Leistungsschlüssel",
    "angebot": "Titel des Angebots",
    "version": "Angebotsversion",
    "veroeffentlicht": "Veröffentlichungsdatum der Version",
    "entgelt": "Entgelt, aufgeschlüsselt",
    "kuendigungsfrist": "Kündigungsfrist in Monaten",
    "beschaffungsweg": "Beschaffungsweg",
}
_TOKEN = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
_ALLOWED = ", ".join(sorted(PLACEHOLDERS))


def check_template(template: str) -> None:
    """Refuse unknown placeholders and stray double braces, naming them in German."""
    unknown = sorted(set(_TOKEN.findall(template)) - set(PLACEHOLDERS))
    if unknown:
        shown = ", ".join(f"„{{{{{name}}}}}“" for name in unknown)
        raise InvalidInput(
            f"Unbekannte Platzhalter in der Vertragsvorlage: {shown}. "
            f"Erlaubt sind: {_ALLOWED}."
        )
    rest = _TOKEN.sub("", template)
    for stray in ("{{", "}}"):
        if stray in rest:
            line = rest[: rest.index(stray)].count("\n") + 1
            raise InvalidInput(
                f"Die Vertragsvorlage enthält ein „{stray}“, das keinen Platzhalter "
                f"bildet (etwa Zeile {line}). Platzhalter schreiben Sie als "
                "{{name}}; erlaubt sind: " + f"{_ALLOWED}."
            )


def render(template: str, values: Mapping[str, str]) -> str:
    check_template(template)
    return _TOKEN.sub(lambda match: values[match[1]], template)


def sha256_text(text: str) -> str:
    """The hex SHA-256 of the text's UTF-8 bytes: what a signature covers."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
