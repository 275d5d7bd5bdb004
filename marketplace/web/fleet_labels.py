"""German words for the fleet's states and kinds, shared by its pages and script."""

from __future__ import annotations

from typing import Any

STATE_LABELS = {
    "registered": "wartet auf Anmeldung",
    "enrolled": "angemeldet",
    "revoked": "gesperrt",
}
HARDWARE_LABELS = {"raspberrypi": "Raspberry Pi", "pc": "PC"}
CONNECTION_LABELS = {
    "ssh": "SSH",
    "chroot": "Wurzeldateisystem (chroot)",
    "local": "dieser Rechner (lokal)",
}
RUN_KIND_LABELS = {
    "provision": "Provisionierung",
    "drift": "Drift-Bericht",
    "rollout": "Rollout",
}
RUN_STATE_LABELS = {
    "running": "läuft",
    "succeeded": "erfolgreich",
    "failed": "fehlgeschlagen",
    "interrupted": "unterbrochen (Neustart während des Laufs)",
}
OUTCOME_LABELS = {
    "ok": "ok",
    "changed": "geändert",
    "failed": "fehlgeschlagen",
    "unreachable": "nicht erreichbar",
    "skipped": "übersprungen",
}
ROLLOUT_STATE_LABELS = {
    "first_stage": "erste Gruppe wird aktualisiert",
    "first_failed": "erste Gruppe fehlgeschlagen, der Rest bleibt unverändert",
    "ready": "erste Gruppe erfolgreich, bereit für die übrigen Stationen",
    "second_stage": "übrige Stationen werden aktualisiert",
    "completed": "abgeschlossen",
    "failed": "übrige Stationen fehlgeschlagen",
}

CONTEXT: dict[str, Any] = {
    "state_labels": STATE_LABELS,
    "hardware_labels": HARDWARE_LABELS,
    "connection_labels": CONNECTION_LABELS,
    "run_kind_labels": RUN_KIND_LABELS,
    "run_state_labels": RUN_STATE_LABELS,
    "outcome_labels": OUTCOME_LABELS,
    "rollout_state_labels": ROLLOUT_STATE_LABELS,
}
