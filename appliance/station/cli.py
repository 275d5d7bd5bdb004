"""Station commands: ``appliance serve``,
``appliance outbox list|deliver|purge|retry`` and ``appliance station user add NAME``.

``register`` adds them to the ``appliance`` command line; ``python -m
appliance.station`` offers the same commands on their own.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import re
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from appliance.enrolment import stored_device_auth
from appliance.errors import ApplianceError
from appliance.outbox import HttpIntake, Outbox, State, run
from appliance.station.settings import SettingsError, StationSettings, load_settings

SubParsers = Any  # argparse's _SubParsersAction is private


def register(commands: SubParsers) -> None:
    serve = commands.add_parser(
        "serve", help="Die Scanstation mit Weboberfläche starten"
    )
    serve.add_argument("--settings", type=Path, default=Path("station.toml"))
    serve.set_defaults(func=_serve)
    outbox = commands.add_parser("outbox", help="Postausgang anzeigen und zustellen")
    outbox.add_argument("--settings", type=Path, default=Path("station.toml"))
    actions = outbox.add_subparsers(dest="outbox_command", required=True)
    actions.add_parser("list", help="Einträge mit Zustand und Fehlergrund")
    deliver = actions.add_parser("deliver", help="An den Marktplatz zustellen")
    deliver.add_argument(
        "--until-empty", action="store_true", help="enden, wenn nichts mehr wartet"
    )
    actions.add_parser("purge", help="Dateien zugestellter Dokumente entfernen")
    retry = actions.add_parser("retry", help="Unzustellbare erneut versuchen")
    retry.add_argument("sha256", nargs="*", help="Prüfsummen; ohne: alle")
    outbox.set_defaults(func=_outbox)
    station = commands.add_parser("station", help="Konten der Scanstation")
    station.add_argument("--settings", type=Path, default=Path("station.toml"))
    groups = station.add_subparsers(dest="station_command", required=True)
    users = groups.add_parser("user", help="Bedienerkonten")
    user_actions = users.add_subparsers(dest="user_command", required=True)
    add = user_actions.add_parser(
        "add", help="Konto anlegen (Passwort von der Eingabe, zweimal am Terminal)"
    )
    add.add_argument("name")
    station.set_defaults(func=_station)


def read_token(settings: StationSettings) -> str:
    path = Path(settings.outbox.token_file)
    try:
        token = path.read_text(encoding="utf-8").strip()
    except FileNotFoundError as exc:
        raise SettingsError(
            f"Die Token-Datei {path} für den Marktplatz fehlt."
        ) from exc
    if not token:
        raise SettingsError(f"Die Token-Datei {path} ist leer.")
    return token


def open_intake(settings: StationSettings) -> HttpIntake:
    """The marketplace intake, signed with the station's device credential once it
    is enrolled in ``outbox.credential_dir``, else with the token file's token."""
    outbox = settings.outbox
    auth = (
        stored_device_auth(Path(outbox.credential_dir))
        if outbox.credential_dir
        else None
    )
    return HttpIntake(
        outbox.intake_url,
        None if auth else read_token(settings),
        auth=auth,
        municipality_ags=outbox.municipality_ags,
        timeout=outbox.timeout_seconds,
    )


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from appliance.station.app import create_app

    settings = load_settings(args.settings)
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port)
    return 0


def _station(args: argparse.Namespace) -> int:
    from appliance.station.auth import NAME_PATTERN, Users

    settings = load_settings(args.settings)
    if not re.fullmatch(NAME_PATTERN, args.name):
        raise SettingsError("Der Name darf nur Buchstaben, Ziffern und ._@- enthalten.")
    password = _read_password()
    Users(Path(settings.data_dir) / "station.sqlite3").add(args.name, password)
    print(f"Konto „{args.name}“ angelegt.")
    return 0


def _read_password() -> str:
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("Passwort: ")
    if getpass.getpass("Passwort wiederholen: ") != first:
        raise SettingsError("Die Passwörter stimmen nicht überein.")
    return first


def _outbox(args: argparse.Namespace) -> int:
    settings = load_settings(args.settings)
    outbox = Outbox(
        Path(settings.outbox.folder), reserve_bytes=settings.outbox.reserve_bytes
    )
    match args.outbox_command:
        case "list":
            for entry in outbox.entries():
                print(
                    f"{entry.sha256}\t{entry.state}\t{entry.attempts}\t"
                    f"{entry.metadata.filename}\t{entry.last_error}"
                )
        case "retry":
            wanted = args.sha256 or [e.sha256 for e in outbox.entries(State.DEAD)]
            retried = sum(outbox.retry(sha) for sha in wanted)
            print(f"{retried} Dokument(e) erneut in die Zustellung gegeben.")
        case "purge":
            print(f"{outbox.purge_delivered()} zugestellte Datei(en) entfernt.")
        case "deliver":
            _deliver(settings, outbox, until_empty=args.until_empty)
    return 0


def _deliver(settings: StationSettings, outbox: Outbox, *, until_empty: bool) -> None:
    intake = open_intake(settings)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        run(outbox, intake, settings.outbox, stop, until_empty=until_empty)
    finally:
        intake.close()
    counts = outbox.counts()
    print(
        f"zugestellt {counts[State.DELIVERED]}, wartend {counts[State.PENDING]}, "
        f"unzustellbar {counts[State.DEAD]}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    parser = argparse.ArgumentParser(prog="appliance-station", description=__doc__)
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except ApplianceError as exc:
        print(f"Fehler: {exc.message}", file=sys.stderr)
        return 1
