"""Routing rules: the file format, its validation, loading and saving.

The rules live in one TOML or JSON file (see ``docs/station.md`` for an example)
and are edited in the station's web page, which saves them back as JSON or TOML.
Every mistake is reported in German with the place where it is, for example
``keyword[2].office: Unbekanntes Amt „Bauamt“``; a rules file that does not load
is never half applied.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from appliance.errors import ApplianceError

LeikaKey = Annotated[str, Meta(pattern=r"^\d{14}$")]
Confidence = Annotated[float, Meta(ge=0.0, le=1.0)]
OfficeId = Annotated[str, Meta(pattern=r"^[a-z0-9][a-z0-9_-]{0,63}$")]


class RulesError(ApplianceError):
    """The routing rules cannot be used; the message says where and why."""

    code = "routing-rules"


class Office(msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True):
    """An office (Organisationseinheit) and how its mail is delivered.

    ``route`` names the delivery route (a connector destination at the marketplace,
    such as ``fit-connect:ordnungsamt`` or ``dms:posteingang-32``).
    ``redact_id_copies`` lists what this office wants blacked out on ID copies
    enclosed in its mail (``can``: the access number, ``photo``: the photo); the
    operator is offered the redaction only then.
    """

    id: OfficeId
    name: Annotated[str, Meta(min_length=1, max_length=120)]
    route: Annotated[str, Meta(min_length=1, max_length=200)]
    leika_key: LeikaKey | None = None
    redact_id_copies: list[Literal["can", "photo"]] = []


class PatternRule(
    msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True
):
    """A regular expression (Python syntax, case-insensitive) that names an office."""

    pattern: Annotated[str, Meta(min_length=1, max_length=500)]
    office: OfficeId
    leika_key: LeikaKey | None = None
    confidence: Confidence = 0.95


class KeywordRule(
    msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True
):
    """Words in the OCR text; at least ``min_hits`` distinct ones must occur."""

    keywords: Annotated[list[str], Meta(min_length=1)]
    office: OfficeId
    leika_key: LeikaKey | None = None
    min_hits: Annotated[int, Meta(ge=1)] = 1
    confidence: Confidence = 0.8


class NegativeRule(
    msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True
):
    """Mail that goes on as paper original ("Original an Fachamt").

    It matches when any keyword occurs or the pattern is found; the document is
    still scanned and routed, and marked so the paper is not destroyed.
    """

    label: Annotated[str, Meta(min_length=1, max_length=120)]
    keywords: list[str] = []
    pattern: str | None = None


class RoutingRules(
    msgspec.Struct, kw_only=True, frozen=True, forbid_unknown_fields=True
):
    """All routing rules of one station, tried in the order of the fields.

    Decisions below ``threshold`` wait for a person. The classifier (trained on
    decisions people corrected, stored in ``classifier_file`` relative to the rules
    file) is asked only when no rule matched, once it has seen
    ``classifier_min_examples`` corrected documents; its confidence never exceeds
    ``classifier_max_confidence``.
    """

    threshold: Confidence = 0.75
    offices: list[Office] = []
    barcode: list[PatternRule] = []
    file_reference: list[PatternRule] = []
    keyword: list[KeywordRule] = []
    negative: list[NegativeRule] = []
    classifier_file: str | None = "classifier.json"
    classifier_min_examples: Annotated[int, Meta(ge=1)] = 5
    classifier_max_confidence: Confidence = 0.9

    def office(self, office_id: str) -> Office | None:
        return next((o for o in self.offices if o.id == office_id), None)


def parse_rules(raw: bytes, *, suffix: str = ".toml") -> RoutingRules:
    """Decode and validate rules from TOML (``.toml``) or JSON bytes."""
    try:
        if suffix == ".json":
            data = json.loads(raw)
        else:
            data = tomllib.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise RulesError("Die Regeldatei ist nicht UTF-8-kodiert.") from exc
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise RulesError(
            f"Die Regeldatei ist kein gültiges {_kind(suffix)}: {exc}"
        ) from exc
    except RecursionError as exc:
        raise RulesError("Die Regeldatei ist zu tief verschachtelt.") from exc
    try:
        rules = msgspec.convert(data, RoutingRules)
    except msgspec.ValidationError as exc:
        raise RulesError(f"Ungültige Routing-Regel: {_german(str(exc))}") from exc
    check_rules(rules)
    return rules


def load_rules(path: Path) -> RoutingRules:
    """Load rules from a TOML or JSON file; a missing file is a clear error."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError as exc:
        raise RulesError(f"Die Regeldatei {path} fehlt.") from exc
    rules = parse_rules(raw, suffix=path.suffix.lower())
    if rules.classifier_file and not Path(rules.classifier_file).is_absolute():
        resolved = str(path.parent / rules.classifier_file)
        rules = msgspec.structs.replace(rules, classifier_file=resolved)
    return rules


def save_rules(rules: RoutingRules, path: Path) -> None:
    """Write rules as JSON atomically (temp file, fsync, rename)."""
    check_rules(rules)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as fh:
        fh.write(msgspec.json.format(msgspec.json.encode(rules), indent=2))
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def check_rules(rules: RoutingRules) -> None:
    """Cross-field checks msgspec cannot express: references, regexes, duplicates."""
    ids = [o.id for o in rules.offices]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise RulesError(f"Amt doppelt definiert: {', '.join(duplicates)}")
    known = set(ids)
    for section in ("barcode", "file_reference", "keyword"):
        for index, rule in enumerate(getattr(rules, section)):
            where = f"{section}[{index}]"
            if rule.office not in known:
                raise RulesError(f"{where}.office: Unbekanntes Amt „{rule.office}“")
            if isinstance(rule, PatternRule):
                compile_pattern(rule.pattern, f"{where}.pattern")
            elif any(not k.strip() for k in rule.keywords):
                raise RulesError(f"{where}.keywords: Leere Stichwörter sind unzulässig")
    for index, negative in enumerate(rules.negative):
        where = f"negative[{index}]"
        if not negative.keywords and not negative.pattern:
            raise RulesError(f"{where}: Stichwörter oder Muster sind nötig")
        if negative.pattern:
            compile_pattern(negative.pattern, f"{where}.pattern")


def compile_pattern(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise RulesError(f"{where}: Ungültiger regulärer Ausdruck ({exc})") from exc


def _kind(suffix: str) -> str:
    return "JSON" if suffix == ".json" else "TOML"


_TRANSLATIONS = (
    (r"Object contains unknown field `(.+?)`", r"unbekanntes Feld „\1“"),
    (r"Object missing required field `(.+?)`", r"Pflichtfeld „\1“ fehlt"),
    (r"Expected `(.+?)`, got `(.+?)`", r"erwartet \1, erhalten \2"),
    (r"Expected `str` matching regex .*", "Format ungültig"),
    (r"Expected `(.+?)` >= (\S+)", r"Wert muss mindestens \2 sein"),
    (r"Expected `(.+?)` <= (\S+)", r"Wert darf höchstens \2 sein"),
    (r"Expected `(.+?)` of length >= (\d+)", r"mindestens \2 Einträge oder Zeichen"),
    (r"Expected `(.+?)` of length <= (\d+)", r"höchstens \2 Einträge oder Zeichen"),
)


def _german(message: str) -> str:
    """msgspec's English message in German, keeping its ``- at `$.path``` part."""
    text, _, at = message.partition(" - at `")
    for pattern, replacement in _TRANSLATIONS:
        if re.fullmatch(pattern, text):
            text = re.sub(pattern, replacement, text)
            break
    return f"{at.rstrip('`').removeprefix('$.')}: {text}" if at else text
