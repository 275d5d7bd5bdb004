"""What a purge did, and the error a reader of a deleted body gets."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

import msgspec

from marketplace.errors import MarketplaceError


class Policy(msgspec.Struct, kw_only=True, frozen=True):
    """How long bodies stay: ``retention`` seconds after the last delivery of
    every submission that refers to them; unreferenced objects ``grace`` seconds
    after they were written (an upload may be between store and commit)."""

    retention: float
    grace: float
    batch: int = 50


class PurgeReport(msgspec.Struct, kw_only=True):
    """Counts of one run (``dry_run``: what a run would do now)."""

    dry_run: bool = False
    purged_bodies: int = 0
    purged_bytes: int = 0
    orphans_deleted: int = 0
    orphan_bytes: int = 0
    kept_needed: int = 0
    young_orphans: int = 0

    @property
    def bytes_freed(self) -> int:
        return self.purged_bytes + self.orphan_bytes

    def lines(self) -> list[str]:
        verb = "würden gelöscht" if self.dry_run else "gelöscht"
        return [
            f"Dokumente nach Aufbewahrungsfrist {verb}: {self.purged_bodies}",
            f"Verwaiste Objekte {verb}: {self.orphans_deleted}",
            f"Freigegebener Speicher: {self.bytes_freed} Bytes",
            f"Behalten, weil noch gebraucht: {self.kept_needed}",
            f"Verwaiste Objekte jünger als die Karenzzeit: {self.young_orphans}",
        ]


def purged_text(at: float) -> str:
    moment = datetime.fromtimestamp(at, UTC).strftime("%d.%m.%Y %H:%M UTC")
    return f"Dokument nach Zustellung gemäß Aufbewahrungsfrist gelöscht am {moment}."


class DocumentPurged(MarketplaceError):
    """The body was deleted after delivery, on purpose; the row keeps SHA-256,
    size and receipt."""

    status_code: ClassVar[int] = 410
    title: ClassVar[str] = "Dokument gelöscht"
    slug: ClassVar[str] = "document-purged"

    def __init__(self, at: float) -> None:
        super().__init__(purged_text(at))
        self.at = at
