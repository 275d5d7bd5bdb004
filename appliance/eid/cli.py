"""``appliance eid ...``: registered into the appliance command line."""

from __future__ import annotations

import argparse
from typing import Any


def register(commands: argparse._SubParsersAction[Any]) -> None:
    """Add ``eid status`` to the ``appliance`` command line."""
    eid = commands.add_parser("eid", help="Ausweis-Lesegeräte und AusweisApp")
    sub = eid.add_subparsers(dest="eid_command", metavar="BEFEHL", required=True)
    status = sub.add_parser(
        "status", help="Lesegeräte, Karten und AusweisApp als JSON ausgeben"
    )
    from appliance.eid.status import add_arguments, run

    add_arguments(status)
    status.set_defaults(func=run)
