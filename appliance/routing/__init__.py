"""Routing: rules, ID-card detection and a learning classifier decide where mail goes.

``route(doc, rules)`` is called by the pipeline for every separated document;
``load_rules(path)`` reads the station's rules file.
"""

from __future__ import annotations

from appliance.routing.classifier import Classifier, record_correction
from appliance.routing.engine import route
from appliance.routing.rules import (
    KeywordRule,
    NegativeRule,
    Office,
    PatternRule,
    RoutingRules,
    RulesError,
    load_rules,
    parse_rules,
    save_rules,
)

__all__ = [
    "Classifier",
    "KeywordRule",
    "NegativeRule",
    "Office",
    "PatternRule",
    "RoutingRules",
    "RulesError",
    "load_rules",
    "parse_rules",
    "record_correction",
    "route",
    "save_rules",
]
