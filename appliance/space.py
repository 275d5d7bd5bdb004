"""Free space on the station's disk: a batch stops before it fills the disk.

Work files of a batch take several MiB per page; if they filled the disk, the
station database and the outbox (on the same disk) could no longer record
anything, not even that the batch stopped. So each stage that writes page files
first checks that at least ``PipelineSettings.min_free_bytes`` stay free, and
stops the batch with ``DiskFull`` otherwise; its input files stay where they are.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from appliance.errors import ApplianceError

MIB = 1024 * 1024


class DiskFull(ApplianceError):
    """Too little free space to go on; free space and start the batch again."""

    code = "disk-full"


def require_space(folder: Path, min_free_bytes: int) -> None:
    """Raise ``DiskFull`` when the disk holding ``folder`` has too little space."""
    if min_free_bytes <= 0:
        return
    existing = next((p for p in (folder, *folder.parents) if p.exists()), folder)
    free = shutil.disk_usage(existing).free
    if free < min_free_bytes:
        raise DiskFull(
            f"Der Speicher der Station ist fast voll ({free // MIB} MiB frei, "
            f"mindestens {min_free_bytes // MIB} MiB nötig). Bitte Platz schaffen "
            "(z. B. zugestellte Dateien entfernen) und den Stapel neu starten."
        )
