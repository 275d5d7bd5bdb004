"""The station's commit step as its own process, for the ``kill -9`` fault test.

``python -m tests.appliance.outbox.producer SOURCE OUTBOX`` commits every PDF in
SOURCE to the outbox and removes a source file only after its commit returned, the
way the station tells the operator "fertig" only then. Killed at any moment, every
document is in SOURCE, in the outbox, or both.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from appliance.outbox import DocumentMetadata, Outbox


def main(source: Path, folder: Path, pause: float) -> None:
    outbox = Outbox(folder)
    for pdf in sorted(source.glob("*.pdf")):
        metadata = DocumentMetadata(
            appliance_id="scanstation-test", filename=pdf.name, page_count=1
        )
        outbox.commit(pdf, metadata)
        pdf.unlink()
        time.sleep(pause)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), float(sys.argv[3]))
