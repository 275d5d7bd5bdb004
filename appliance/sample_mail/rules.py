"""Routing rules that fit the sample mail (``rules.toml`` beside the pages).

Written in the station's rules format (``docs/station.md``) and valid for
``appliance.routing.load_rules``; the demo and the tests route the sample mail
with them. LeiKa keys are the demo catalog's illustrative ones.
"""

from __future__ import annotations

RULES_TOML = """\
# Routing rules for the generated sample mail (appliance samples).
threshold = 0.75
classifier_file = "classifier.json"

[[offices]]
id = "buergeramt"
name = "Bürgeramt"
route = "fit-connect:buergeramt"
leika_key = "99990000011000"  # Meldebescheinigung

[[offices]]
id = "steueramt"
name = "Steueramt"
route = "dms:steueramt-posteingang"

[[offices]]
id = "rechtsamt"
name = "Rechtsamt"
route = "dms:rechtsamt"

[[offices]]
id = "bauamt"
name = "Bauordnungsamt"
route = "xdomea:bauamt"
leika_key = "99990000007000"  # Baugenehmigung

[[offices]]
id = "wohngeldstelle"
name = "Wohngeldstelle"
route = "fit-connect:wohngeld"
leika_key = "99990000006000"  # Wohngeld

[[offices]]
id = "ordnungsamt"
name = "Ordnungsamt"
route = "fit-connect:ordnungsamt"

[[barcode]]
pattern = "^ROUTE:STEUERAMT:HUNDESTEUER$"
office = "steueramt"
leika_key = "99990000026000"  # Hundesteuer anmelden
confidence = 0.99

[[barcode]]
pattern = "^ROUTE-BAU-\\\\d+$"
office = "bauamt"
confidence = 0.99

[[file_reference]]
pattern = "\\\\b63\\\\.\\\\d{4}/\\\\d{4}\\\\b"
office = "bauamt"
confidence = 0.95

[[keyword]]
keywords = ["Meldebescheinigung", "Meldebehörde"]
office = "buergeramt"
confidence = 0.85

[[keyword]]
keywords = ["Widerspruch", "Gebührenbescheid", "Bescheid"]
office = "rechtsamt"
min_hits = 2
confidence = 0.85

[[keyword]]
keywords = ["Wohngeld", "Mietzuschuss"]
office = "wohngeldstelle"
confidence = 0.85

[[keyword]]
keywords = ["Bußgeldbescheid", "Ordnungswidrigkeit", "Bußgeldverfahren"]
office = "ordnungsamt"
min_hits = 2
confidence = 0.85

[[negative]]
label = "Zustellungsurkunde"
keywords = ["Zustellungsurkunde"]

[[negative]]
label = "Testament oder Erbvertrag"
keywords = ["Testament", "Erbvertrag"]
"""
