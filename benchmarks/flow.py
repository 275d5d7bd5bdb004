"""Flow benchmark: pages per minute from the station's input folder to the
receivers' receipts, side by side with the appliance pipeline alone on the same
pages, measured in one run.

    .venv/bin/python benchmarks/flow.py            # 60 sheets of sample mail
    .venv/bin/python benchmarks/flow.py --quick    # the 17-sheet sample mail
    .venv/bin/python benchmarks/flow.py --pages 200 --rounds 2 [--no-postgres]

1. The sample mail (``appliance.sample_mail``, 150 dpi, documents repeated with
   new seeds up to ``--pages`` sheets) is generated once per round.
2. **pipeline alone**: ``appliance.pipeline.run_batch`` on those files in this
   process (cleanup in worker processes overlapping tesseract, routing with the
   sample rules, PDF/A with signed Transfervermerk); timed around the call only,
   measured again right before each end-to-end row (the cores are shared and
   their load drifts within a run).
3. **end to end** on the embedded default: ``marketplace.demo.flow`` on a fresh
   state folder and free ports (marketplace on SQLite with its delivery engine,
   the three reference receivers, the scan station as ``appliance serve``
   enrolled with its device key). Timed from starting the station's batch (the
   sheets lie in its input folder) until every document is settled: delivered
   with the receiver's receipt, or held with its reason (ID copy, unclear
   letter, no subscribed service). Split into the station's batch (its own
   stage-by-stage pipeline, which also writes thumbnails and its database) and
   the tail after it (outbox -> intake -> delivery engine -> receivers).
4. Ratio = end-to-end rate / pipeline-alone rate. Target (issue 8): >= 0.90
   ("delivery is never the bottleneck"); ``e2e/station`` (end to end over the
   station's batch alone) and the tail column show how much of a gap is
   delivery and how much the station's own batch.

Rows: the embedded default (SQLite, one process) and, when Debian's
postgresql-15 is installed, the scale-out mode (``docs/operations.md``) on a
throwaway PostgreSQL server with 1, 2 and 4 marketplace workers, each row on a fresh
database; without it the benchmark prints "PostgreSQL: not available in this
build". On every database the station delivers signed with its own device
credential (fleet enrolment). ``--no-postgres`` runs SQLite only.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from appliance.integrity import load_or_create_key
from appliance.job import JobContext
from appliance.pipeline import run_batch
from appliance.routing import load_rules, route
from appliance.sample_mail import RULES_FILE, generate
from appliance.scanlog import ScanLog
from appliance.settings import PipelineSettings, ScanProfile
from marketplace.demo.flow import Flow, FlowConfig
from marketplace.demo.flow.config import PROFILE, STATION_NAME
from marketplace.demo.receivers import Ports
from tests.support import postgres as postgres_support
from tests.support.processes import free_port


def pipeline_alone(folder: Path, work: Path, dpi: int) -> tuple[int, float]:
    """(pages, seconds) of ``run_batch`` on the sheets in ``folder``."""
    files = sorted(folder.glob("*.png"))
    rules = load_rules(folder / RULES_FILE)
    settings = PipelineSettings(
        appliance_id=STATION_NAME,
        operator="Benchmark",
        profile=ScanProfile(name=PROFILE, resolution=dpi, mode="gray", source="adf"),
    )
    job = JobContext(
        settings=settings,
        work_dir=work / "work",
        out_dir=work / "out",
        key=load_or_create_key(work / "key.pem"),
        scan_log=ScanLog(work / "scan-log.jsonl"),
        router=lambda doc: route(doc, rules),
    )
    started = time.perf_counter()
    result = run_batch(files, job)
    took = time.perf_counter() - started
    assert result.pages_captured == len(files), "pipeline lost pages"
    return len(files), took


def end_to_end(
    var: Path, pages: int, dpi: int, seed: int, database_url: str = "", workers: int = 1
) -> tuple[int, float, float, int]:
    """(sheets, batch seconds, tail seconds, documents) of one flow run."""
    config = FlowConfig(
        var=var,
        marketplace_port=free_port(),
        station_port=free_port(),
        receiver_ports=Ports(free_port(), free_port(), free_port()),
        replica_port=None,  # the catalog replica does not touch documents
        seed=seed,
        dpi=dpi,
        pages=pages,
        settle_timeout=1800,
        database_url=database_url,
        workers=workers,
    )
    with Flow(config) as flow:
        result = flow.run()
    assert result.settled, "documents still waiting after the settle timeout"
    timings = result.timings
    assert timings.batch_started is not None
    assert timings.batch_done is not None
    batch = timings.batch_done - timings.batch_started
    tail = timings.settled - timings.batch_done
    return len(result.truth.pages), batch, tail, len(result.outcomes)


# label, a fresh database's URL per round ("" = SQLite), workers
Configuration = tuple[str, Callable[[], str], int]


def configurations(stack: ExitStack, postgres: bool) -> list[Configuration]:
    """SQLite, and PostgreSQL with 1, 2 and 4 workers on a throwaway server
    (Debian's postgresql-15, ``tests/support/postgres.py``) when it is there."""
    found: list[Configuration] = [("SQLite", lambda: "", 1)]
    if not postgres:
        return found
    if not postgres_support.available():
        print("PostgreSQL: not available in this build (no postgresql-15 server)")
        return found
    server = stack.enter_context(postgres_support.postgres_server())
    return found + [(f"PG {n}w", server.fresh, n) for n in (1, 2, 4)]


def per_minute(pages: int, seconds: float) -> float:
    return pages / seconds * 60


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=60, help="at least this many")
    parser.add_argument("--dpi", type=int, default=150)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--quick", action="store_true", help="the 17-sheet batch")
    parser.add_argument(
        "--no-postgres", action="store_true", help="only the embedded default"
    )
    args = parser.parse_args()
    pages = 0 if args.quick else args.pages
    print(f"cores: {os.cpu_count()}; sample mail at {args.dpi} dpi")
    with ExitStack() as stack:
        setups = configurations(stack, not args.no_postgres)
        print(
            f"{'round':<6}{'database':<10}{'sheets':>7}{'docs':>6}"
            f"{'pipeline/min':>14}{'station/min':>13}{'e2e/min':>9}{'tail s':>8}"
            f"{'e2e/pipe':>10}{'e2e/station':>13}"
        )
        for number in range(1, args.rounds + 1):
            _round(number, pages, args.dpi, setups)
    print(
        "pipeline/min: run_batch alone; station/min: the station's batch; e2e/min: "
        "input folder to the last receipt (or reason); tail s: after the batch "
        "until every document is settled; target e2e/pipe >= 0.90; e2e/station "
        "isolates what delivery adds to the station's own batch."
    )


def _round(number: int, pages: int, dpi: int, setups: list[Configuration]) -> None:
    with tempfile.TemporaryDirectory(prefix="flow-bench-") as tmp:
        root = Path(tmp)
        generate(root / "mail", seed=number, dpi=dpi, pages=pages)
        for label, fresh, workers in setups:
            # Right before each flow run: the machine's load drifts (shared cores).
            work = root / f"alone-{label.replace(' ', '-')}"
            alone_pages, alone = pipeline_alone(root / "mail", work, dpi)
            pipe = per_minute(alone_pages, alone)
            var = root / label.replace(" ", "-")
            sheets, batch, tail, docs = end_to_end(
                var, pages, dpi, number, fresh(), workers
            )
            assert sheets == alone_pages, "the flow fed other pages"
            e2e = per_minute(sheets, batch + tail)
            station = per_minute(sheets, batch)
            print(
                f"{number:<6}{label:<10}{sheets:>7}{docs:>6}{pipe:>14.1f}"
                f"{station:>13.1f}{e2e:>9.1f}{tail:>8.2f}{e2e / pipe:>10.2f}"
                f"{e2e / station:>13.2f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
