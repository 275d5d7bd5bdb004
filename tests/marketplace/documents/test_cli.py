"""``marketplace documents purge`` as an operator runs it: the real command in
its own process on a database file and the document folder beside it."""

from __future__ import annotations

import hashlib
import os
import subprocess
import time
from pathlib import Path

from marketplace.objectstore import intake_key
from tests.support.processes import VENV_BIN

LEIPZIG = "14713000"


def _purge(db: Path, *extra: str) -> list[str]:
    done = subprocess.run(
        [str(VENV_BIN / "marketplace"), "--db", str(db), "documents", "purge", *extra],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def _orphan(folder: Path, content: bytes, age_hours: float) -> Path:
    """An object no row refers to, written ``age_hours`` ago."""
    path = folder / intake_key(LEIPZIG, hashlib.sha256(content).hexdigest())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    then = time.time() - age_hours * 3600
    os.utime(path, (then, then))
    return path


def test_purge_command_counts_first_then_deletes_only_old_orphans(
    tmp_path: Path,
) -> None:
    """GIVEN a marketplace database and, in its document folder, an object no row
    refers to from two days ago and one from ten minutes ago
    WHEN the operator runs ``documents purge --dry-run`` and then ``purge``
    THEN the dry run says one orphan would be deleted and deletes nothing; the
    purge deletes the old one, keeps the young one (an upload may be on its way
    to its row) and says so in German."""
    db = tmp_path / "markt.sqlite3"
    migrate = subprocess.run(
        [str(VENV_BIN / "marketplace"), "--db", str(db), "migrate"],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert migrate.returncode == 0, migrate.stderr
    old = _orphan(tmp_path, b"%PDF-1.7 old letter", age_hours=48)
    young = _orphan(tmp_path, b"%PDF-1.7 young letter", age_hours=0.2)

    counted = _purge(db, "--dry-run")
    assert "Verwaiste Objekte würden gelöscht: 1" in counted
    assert "Verwaiste Objekte jünger als die Karenzzeit: 1" in counted
    assert old.exists()
    assert young.exists()

    done = _purge(db)
    assert "Verwaiste Objekte gelöscht: 1" in done
    assert f"Freigegebener Speicher: {len(b'%PDF-1.7 old letter')} Bytes" in done
    assert not old.exists()
    assert young.exists()
