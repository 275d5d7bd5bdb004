"""Shared routing rules for the routing tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.routing import RoutingRules, load_rules

RULES_TOML = """
threshold = 0.75

[[offices]]
id = "ordnungsamt"
name = "Ordnungsamt"
route = "fit-connect:ordnungsamt"
leika_key = "99001001000000"

[[offices]]
id = "bauamt"
name = "Bauordnungsamt"
route = "dms:posteingang-63"

[[offices]]
id = "standesamt"
name = "Standesamt"
route = "dms:posteingang-34"

[[barcode]]
pattern = "^ROUTE[-: ]OA$"
office = "ordnungsamt"
confidence = 0.99

[[file_reference]]
pattern = "\\\\b63\\\\.\\\\d{3}/\\\\d{4}\\\\b"
office = "bauamt"
leika_key = "99009001000000"

[[keyword]]
keywords = ["Bußgeldbescheid", "Anhörung", "Ordnungswidrigkeit"]
office = "ordnungsamt"
min_hits = 2
confidence = 0.85

[[keyword]]
keywords = ["Geburtsurkunde", "Eheschließung"]
office = "standesamt"
confidence = 0.8

[[negative]]
label = "Zustellungsurkunde"
keywords = ["Zustellungsurkunde"]

[[negative]]
label = "Gerichtspost"
pattern = "Amtsgericht\\\\s+\\\\w+"
"""


@pytest.fixture
def rules_path(tmp_path: Path) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(RULES_TOML, encoding="utf-8")
    return path


@pytest.fixture
def rules(rules_path: Path) -> RoutingRules:
    return load_rules(rules_path)
