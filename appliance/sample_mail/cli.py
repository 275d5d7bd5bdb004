"""``appliance samples``: write the sample mail batch, its ground truth and rules."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from appliance.sample_mail import RULES_FILE, TRUTH_FILE, generate


def register(commands: argparse._SubParsersAction[Any]) -> None:
    parser = commands.add_parser(
        "samples",
        help="Beispielpost erzeugen: Briefe, Formulare, Trennblätter, Ground Truth",
    )
    parser.add_argument("--out", required=True, type=Path, metavar="DIR")
    parser.add_argument(
        "--seed", type=int, default=1, help="gleicher Wert, gleiche Dateien"
    )
    parser.add_argument("--dpi", type=int, default=150, metavar="DPI")
    parser.add_argument(
        "--pages",
        type=int,
        default=0,
        help="mindestens so viele Blätter (Dokumente wiederholen sich)",
    )
    parser.set_defaults(func=_samples)


def _samples(args: argparse.Namespace) -> int:
    truth = generate(args.out, seed=args.seed, dpi=args.dpi, pages=args.pages)
    for document in truth.documents:
        office = document.office or "Prüfung nötig"
        marks = [
            m
            for m, on in (
                ("Ausweiskopie", document.id_copy),
                ("Original an Fachamt", document.keep_original),
            )
            if on
        ]
        extra = f" ({', '.join(marks)})" if marks else ""
        print(f"{document.id}\t{len(document.pages)} Blatt\t{office}{extra}")
    print(
        f"{len(truth.pages)} Blätter, {len(truth.documents)} Dokumente, "
        f"{truth.separators} Trennblätter in {args.out}; "
        f"Ground Truth {TRUTH_FILE}, Regeln {RULES_FILE}",
        file=sys.stderr,
    )
    return 0
