"""``python -m marketplace.demo.flow``: the whole flow, then serve until Ctrl-C.

Options move the ports (``--port``, ``--station-port``, ``--receiver-ports``,
``--node-port`` of the second node, 0 for none) and the state folder
(``--var``); ``--database-url`` and ``--workers`` run the marketplace in the
scale-out mode on PostgreSQL; ``--once`` stops after the printout.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from appliance.enrolment import EnrolmentError
from appliance.errors import ApplianceError
from marketplace.demo.flow.config import FlowConfig
from marketplace.demo.flow.report import render
from marketplace.demo.flow.run import Flow
from marketplace.demo.flow.station import FlowError
from marketplace.demo.receivers import DEFAULT_PORTS, Ports
from marketplace.errors import MarketplaceError


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="demo", description=__doc__)
    parser.add_argument("--var", type=Path, default=Path("var"))
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--station-port", type=int, default=8080)
    parser.add_argument("--receiver-ports", type=Ports.parse, default=DEFAULT_PORTS)
    parser.add_argument(
        "--node-port", type=int, default=8100, help="zweiter Knoten; 0: keiner"
    )
    parser.add_argument(
        "--database-url",
        default="",
        help="PostgreSQL statt SQLite (docs/operations.md)",
    )
    parser.add_argument("--workers", type=int, default=1, help="mit --database-url")
    parser.add_argument("--once", action="store_true", help="nach der Ausgabe enden")
    args = parser.parse_args(argv)
    config = FlowConfig(
        var=args.var.resolve(),
        marketplace_port=args.port,
        station_port=args.station_port,
        receiver_ports=args.receiver_ports,
        replica_port=args.node_port or None,
        database_url=args.database_url,
        workers=args.workers,
    )
    # Explicitly: a shell starting the demo in the background ignores SIGINT.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    print("Demo startet: Marktplatz, Empfänger, Scanstation ...", flush=True)
    try:
        with Flow(config, say=_say) as flow:
            result = flow.run()
            seconds = result.timings.settled - result.timings.started
            print(render(result), flush=True)
            if not result.settled:
                print(
                    "\nNoch nicht alles zugestellt: die Zustellung wird weiter "
                    "versucht (Seiten oben, Protokolle in var/logs/).",
                    flush=True,
                )
            print(f"\nBereit nach {seconds:.0f} s.", flush=True)
            if args.once:
                return 0
            print("Die Demo läuft weiter; beenden mit Strg+C.", flush=True)
            while flow.alive():
                time.sleep(1)
            print("Ein Prozess der Demo ist beendet; Protokolle in var/logs/.")
            return 1
    except (FlowError, EnrolmentError, ApplianceError) as exc:
        print(f"Fehler: {exc}", file=sys.stderr)
        return 1
    except MarketplaceError as exc:
        print(f"Fehler: {exc.detail}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\nDemo beendet.")
        return 0


_STARTED = time.monotonic()


def _say(message: str) -> None:
    print(f"[{time.monotonic() - _STARTED:3.0f} s] {message}", flush=True)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    raise SystemExit(main())
