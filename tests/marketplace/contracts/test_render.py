"""Rendering contract templates: a fixed vocabulary, nothing executable."""

from __future__ import annotations

import pytest

from marketplace.contracts.render import (
    PLACEHOLDERS,
    check_template,
    render,
    sha256_text,
)
from marketplace.errors import InvalidInput

VALUES = {name: f"<{name}>" for name in PLACEHOLDERS}


def test_every_placeholder_is_filled_and_spacing_is_allowed() -> None:
    """GIVEN a template with every placeholder, some with spaces inside the braces
    WHEN rendered THEN each is replaced by its value and nothing else changes."""
    template = " ".join(
        f"{{{{ {name} }}}}" if i % 2 else f"{{{{{name}}}}}"
        for i, name in enumerate(PLACEHOLDERS)
    )
    assert render(template, VALUES) == " ".join(VALUES.values())


@pytest.mark.parametrize(
    ("template", "unknown"),
    [
        ("Vertrag mit {{anbieterin}}", "anbieterin"),
        ("{{kommune.__class__}}", "kommune.__class__"),
        ("{{ __import__('os').system('id') }}", "__import__('os').system('id')"),
        ("Leer: {{}}", ""),
        ("{{Kommune}}", "Kommune"),  # names are case-sensitive
    ],
)
def test_unknown_placeholders_are_an_error_not_empty(
    template: str, unknown: str
) -> None:
    """GIVEN a template naming something outside the vocabulary WHEN checked or
    rendered THEN a German error names it and lists what is allowed."""
    for attempt in (lambda: check_template(template), lambda: render(template, VALUES)):
        with pytest.raises(InvalidInput) as caught:
            attempt()
        assert (
            f"Unbekannte Platzhalter in der Vertragsvorlage: „{{{{{unknown}}}}}“"
            in str(caught.value)
        )
        assert "Erlaubt sind: ags, anbieter, angebot" in str(caught.value)


def test_values_are_inserted_literally() -> None:
    """GIVEN a municipality whose name looks like a placeholder WHEN rendered THEN the
    value is not rendered a second time."""
    values = {**VALUES, "kommune": "{{anbieter}} & {ags}"}
    assert render("{{kommune}}", values) == "{{anbieter}} & {ags}"


@pytest.mark.parametrize(
    ("template", "stray", "line"),
    [
        ("Vertrag mit {{anbieter", "{{", 1),
        ("Kopf\nVertrag mit anbieter}} und {{kommune}}", "}}", 2),
    ],
)
def test_stray_double_braces_are_an_error(template: str, stray: str, line: int) -> None:
    """GIVEN a half-written placeholder WHEN checked THEN it is refused with the
    line, instead of ending up verbatim in a contract someone signs."""
    with pytest.raises(InvalidInput) as caught:
        check_template(template)
    assert f"„{stray}“" in str(caught.value)
    assert f"Zeile {line}" in str(caught.value)


def test_single_braces_are_plain_text() -> None:
    """GIVEN single braces (also around a placeholder) WHEN rendered THEN they stay."""
    assert render("§ 3 {Entgelt} {{{entgelt}}}", VALUES) == "§ 3 {Entgelt} {<entgelt>}"


def test_the_hash_covers_every_byte() -> None:
    """GIVEN a text with an umlaut WHEN hashed THEN it is the SHA-256 of its UTF-8
    bytes (as ``printf 'Gebühr' | sha256sum`` prints), and one changed character
    changes the hash."""
    assert sha256_text("Gebühr") == (
        "30d4d5edcc8328689e33b7664183685ab383eaf28be1186e0cd49897b4a91206"
    )
    assert sha256_text("Gebühr 1") != sha256_text("Gebühr 2")
