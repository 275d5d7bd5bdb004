"""Render a contract template: ``{{name}}`` placeholders from a fixed vocabulary.

Only the names in ``PLACEHOLDERS`` exist; an unknown name is an error when an
offer is saved and when a contract is rendered, never silently empty. Nothing in
a template can run code or reach attributes.
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


def check_template(template: str) -> None:
    unknown = sorted(set(_TOKEN.findall(template)) - set(PLACEHOLDERS))
    if unknown:
        allowed = ", ".join(sorted(PLACEHOLDERS))
        raise InvalidInput(
            f"Unbekannte Platzhalter in der Vertragsvorlage: {', '.join(unknown)}. "
            f"Erlaubt sind: {allowed}."
        )


def render(template: str, values: Mapping[str, str]) -> str:
    check_template(template)
    return _TOKEN.sub(lambda match: values[match[1]], template)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
