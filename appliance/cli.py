"""The ``appliance`` command line: run the pipeline offline on files, read barcodes,
verify a written document. Subcommands register themselves in ``build_parser``; add a
new one with ``subcommands.add_parser(...)`` and ``set_defaults(func=...)``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import msgspec

from appliance.errors import ApplianceError
from appliance.integrity import load_or_create_key, load_public_key
from appliance.job import JobContext, Progress, Router, no_rules
from appliance.pages import BatchResult
from appliance.scanlog import ScanLog
from appliance.settings import PipelineSettings

DEFAULT_STATE = Path("var/appliance")


def build_parser() -> tuple[
    argparse.ArgumentParser, argparse._SubParsersAction[argparse.ArgumentParser]
]:
    parser = argparse.ArgumentParser(prog="appliance", description=__doc__)
    parser.add_argument("--version", action="version", version="%(prog)s 0.1.0")
    commands = parser.add_subparsers(dest="command", metavar="BEFEHL")
    process = commands.add_parser(
        "process", help="Bild- oder PDF-Dateien verarbeiten (ein Stapel je Argument)"
    )
    process.add_argument("inputs", nargs="+", type=Path, metavar="FILE_OR_DIR")
    _batch_options(process)
    process.set_defaults(func=_process)
    watch = commands.add_parser(
        "watch",
        help="Eingangsordner überwachen: jede fertig geschriebene Datei ist ein Stapel",
    )
    watch.add_argument("folder", type=Path, metavar="DIR")
    _batch_options(watch)
    watch.add_argument(
        "--stability",
        type=float,
        default=2.0,
        help="Sekunden ohne Änderung, bevor eine Datei gelesen wird",
    )
    watch.add_argument(
        "--once", action="store_true", help="beenden, sobald der Ordner leer ist"
    )
    watch.set_defaults(func=_watch)
    barcodes = commands.add_parser(
        "barcodes", help="Barcodes lesen, eine JSON-Zeile je Code"
    )
    barcodes.add_argument("files", nargs="+", type=Path, metavar="FILE")
    barcodes.set_defaults(func=_barcodes)
    verify = commands.add_parser(
        "verify", help="Ein erzeugtes PDF/A und seinen Transfervermerk prüfen"
    )
    verify.add_argument("files", nargs="+", type=Path, metavar="FILE.pdf")
    verify.add_argument(
        "--key", type=Path, help="vertrauenswürdiger öffentlicher Schlüssel"
    )
    verify.set_defaults(func=_verify)
    from appliance.eid.cli import register as register_eid  # appliance eID

    register_eid(commands)
    from appliance.station.cli import register as register_station  # serve, outbox

    register_station(commands)
    from appliance.sample_mail.cli import register as register_samples  # samples

    register_samples(commands)
    return parser, commands


def _batch_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--out", required=True, type=Path, help="Ausgabeordner")
    parser.add_argument("--settings", type=Path, help="Einstellungen (TOML oder JSON)")
    parser.add_argument(
        "--state",
        type=Path,
        default=DEFAULT_STATE,
        help="Ordner für Schlüssel und Scanprotokoll",
    )
    parser.add_argument("--rules", type=Path, help="Routingregeln (appliance.routing)")
    parser.add_argument("--operator", help="Name der scannenden Person")
    parser.add_argument(
        "--keep-work", action="store_true", help="Zwischendateien behalten"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser, _ = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except ApplianceError as exc:
        print(f"Fehler: {exc.message}", file=sys.stderr)
        return 1


def load_settings(path: Path | None) -> PipelineSettings:
    if path is None:
        return PipelineSettings()
    try:
        data = path.read_bytes()
        if path.suffix == ".toml":
            return msgspec.toml.decode(data, type=PipelineSettings)
        return msgspec.json.decode(data, type=PipelineSettings)
    except (OSError, msgspec.DecodeError) as exc:
        raise ApplianceError(f"Die Einstellungen {path} sind ungültig: {exc}") from exc


def load_router(rules: Path | None) -> Router:
    """The routing stage of ``appliance.routing``; without rules, ``no_rules``."""
    if rules is None:
        return no_rules
    from appliance.routing import load_rules, route

    loaded = load_rules(rules)
    return lambda doc: route(doc, loaded)


def _jobs(args: argparse.Namespace) -> Callable[[str], JobContext]:
    """Job contexts for one command: settings, key, scan log and router loaded once."""
    settings = load_settings(args.settings)
    if args.operator:
        settings = msgspec.structs.replace(settings, operator=args.operator)
    if args.keep_work:
        settings = msgspec.structs.replace(settings, keep_work=True)
    key = load_or_create_key(args.state / "appliance-key.pem")
    log = ScanLog(args.state / "scan-log.jsonl")
    router = load_router(args.rules)

    def job(name: str) -> JobContext:
        return JobContext(
            settings=settings,
            work_dir=args.out / ".work" / name,
            out_dir=args.out,
            key=key,
            scan_log=log,
            router=router,
            progress=_progress_bar(name),
            label=Path(name).stem,
        )

    return job


def _process(args: argparse.Namespace) -> int:
    from appliance.pipeline import run_batch

    jobs = _jobs(args)
    failures = 0
    for source in args.inputs:
        files = (
            sorted(p for p in source.iterdir() if p.is_file())
            if source.is_dir()
            else [source]
        )
        result = run_batch(files, jobs(source.name))
        failures += len(result.rejected)
        _report(result)
    return 1 if failures else 0


def _watch(args: argparse.Namespace) -> int:
    """Each stable file in the folder is one batch; afterwards it moves to
    ``.erledigt`` or, when it was rejected, ``.abgelehnt``."""
    from appliance.pipeline import run_batch
    from appliance.watch import FolderWatcher, finish

    jobs = _jobs(args)
    watcher = FolderWatcher(args.folder, stability_seconds=args.stability)
    interval = min(0.5, args.stability / 4)
    failures = 0
    for claimed in watcher.watch(
        interval=interval, stop=lambda: args.once and watcher.idle()
    ):
        result = run_batch([claimed], jobs(claimed.name))
        failures += len(result.rejected)
        finish(claimed, rejected=bool(result.rejected))
        _report(result)
    return 1 if failures else 0


def _report(result: BatchResult) -> None:
    for document in result.documents:
        decision = document.decision
        office = decision.office or "Prüfung nötig"
        print(
            f"{document.pdf_path}\t{len(document.page_numbers)} Seiten\t{office}\t{decision.reason}"
        )
    for rejected in result.rejected:
        print(f"Abgelehnt: {rejected.source}: {rejected.message}", file=sys.stderr)
    print(
        f"Stapel {result.batch_id}: {result.pages_captured} Seiten erfasst, "
        f"{result.pages_in_documents} in {len(result.documents)} Dokumenten, "
        f"{result.pages_dropped} entfernt (leer/Trennblatt), "
        f"{len(result.rejected)} Dateien abgelehnt.",
        file=sys.stderr,
    )


_STAGES = {
    "capture": "Erfassen",
    "clean": "Bereinigen",
    "ocr": "Texterkennung",
    "pdf": "PDF/A",
}


def _progress_bar(label: str) -> Progress:
    """A one-line progress bar on a terminal; silent when stderr is not one."""
    if not sys.stderr.isatty():
        return lambda stage, done, total: None

    def show(stage: str, done: int, total: int) -> None:
        width = 30
        filled = width * done // total if total else width
        name = _STAGES.get(stage, stage)
        bar = "█" * filled + "·" * (width - filled)
        end = "\n" if done >= total else ""
        print(
            f"\r{label}: {name:<14} {bar} {done}/{total}",
            end=end,
            file=sys.stderr,
            flush=True,
        )

    return show


def _barcodes(args: argparse.Namespace) -> int:
    from appliance.scan_files import barcodes_in_file

    failed = 0
    for path in args.files:
        try:
            for found in barcodes_in_file(path):
                print(msgspec.json.encode(found).decode(), flush=True)
        except ApplianceError as exc:
            print(f"Fehler: {exc.message}", file=sys.stderr)
            failed += 1
    return 1 if failed else 0


def _verify(args: argparse.Namespace) -> int:
    from appliance.verify import verify_pdf

    trusted = load_public_key(args.key) if args.key else None
    bad = 0
    for path in args.files:
        report = verify_pdf(path, trusted)
        if report.ok:
            print(
                f"{path}: in Ordnung ({report.pages} Seiten, Gerät {report.appliance_id})"
            )
        else:
            bad += 1
            print(f"{path}: FEHLER")
            for problem in report.problems:
                print(f"  - {problem}")
    return 1 if bad else 0
