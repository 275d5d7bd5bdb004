"""The ``appliance`` command line, run as a real process and in-process."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from appliance.cli import build_parser, main
from tests.appliance.letters import (
    ARCHIVE_SERIAL,
    FILE_REFERENCE,
    letter_file,
    separator_file,
)

APPLIANCE = [sys.executable, "-m", "appliance"]


def test_barcodes_prints_one_json_line_per_code(tmp_path: Path) -> None:
    """GIVEN a letter with a QR and a Code 128, a separator sheet, and a corrupt file
    WHEN `appliance barcodes` runs on them
    THEN it prints one JSON line per code with file, page, format and text, complains
    about the corrupt file in German on stderr, and exits 1."""
    letter = letter_file(tmp_path, 1, dpi=200, codes=[FILE_REFERENCE, ARCHIVE_SERIAL])
    separator = separator_file(tmp_path, 2)
    corrupt = tmp_path / "corrupt.png"
    corrupt.write_bytes(b"\x89PNG broken")
    done = subprocess.run(
        [*APPLIANCE, "barcodes", str(letter), str(corrupt), str(separator)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    assert {(r["file"], r["page"], r["format"], r["text"]) for r in lines} == {
        (str(letter), 1, "qr", FILE_REFERENCE.text),
        (str(letter), 1, "code128", ARCHIVE_SERIAL.text),
        (str(separator), 1, "code128", "TRENNBLATT"),
        (str(separator), 1, "patch_t", "PATCH-T"),
    }
    assert "corrupt.png" in done.stderr
    assert "Fehler" in done.stderr
    assert done.returncode == 1


@pytest.mark.slow
def test_process_then_verify(tmp_path: Path) -> None:
    """GIVEN a folder with two letters and a separator sheet between them
    WHEN `appliance process DIR --out OUT` runs, then `appliance verify` on the result
    THEN two PDF/A files with sidecars are written, the key is private to its owner,
    verify says both are fine (exit 0), and after tampering it says what is wrong
    (exit 1)."""
    inbox = tmp_path / "eingang"
    inbox.mkdir()
    sheets = [
        letter_file(tmp_path, 1, dpi=100, lines=2),
        separator_file(tmp_path, 2, dpi=100),
        letter_file(tmp_path, 3, dpi=100, lines=2),
    ]
    for number, sheet in enumerate(sheets, start=1):
        sheet.rename(inbox / f"scan-{number:04d}.png")
    out, state = tmp_path / "out", tmp_path / "state"
    done = subprocess.run(
        [
            *APPLIANCE,
            "process",
            str(inbox),
            "--out",
            str(out),
            "--state",
            str(state),
            "--operator",
            "Herr Yilmaz",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    pdfs = sorted(out.glob("*.pdf"))
    assert [p.name for p in pdfs] == ["eingang-001.pdf", "eingang-002.pdf"]
    assert all(p.with_suffix(".json").exists() for p in pdfs)
    assert "3 Seiten erfasst, 2 in 2 Dokumenten, 1 entfernt" in done.stderr
    assert stat.S_IMODE(os.stat(state / "appliance-key.pem").st_mode) == 0o600

    verified = subprocess.run(
        [*APPLIANCE, "verify", *map(str, pdfs)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert verified.returncode == 0
    assert verified.stdout.count("in Ordnung") == 2

    data = bytearray(pdfs[1].read_bytes())
    at = data.index(b"/DCTDecode")
    at = data.index(b"stream", at) + 2000
    data[at] ^= 0xFF
    pdfs[1].write_bytes(bytes(data))
    broken = subprocess.run(
        [*APPLIANCE, "verify", str(pdfs[1])],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert broken.returncode == 1
    assert "Seite 1 wurde nach der Erfassung verändert" in broken.stdout


def test_bad_settings_and_no_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """GIVEN a settings file with an unknown field, and no subcommand
    WHEN the CLI runs
    THEN it explains the settings error in German (exit 1) and shows help (exit 2)."""
    settings = tmp_path / "settings.toml"
    settings.write_text('operator = "A"\nunbekannt = 1\n')
    assert (
        main(
            [
                "process",
                str(tmp_path),
                "--out",
                str(tmp_path / "o"),
                "--settings",
                str(settings),
            ]
        )
        == 1
    )
    assert "Einstellungen" in capsys.readouterr().err
    assert main([]) == 2


def test_parser_is_extensible() -> None:
    """GIVEN the parser builder
    WHEN another engineer adds a subcommand
    THEN it parses next to the built-in ones."""
    parser, commands = build_parser()
    commands.add_parser("neu").set_defaults(func=lambda args: 0)
    assert parser.parse_args(["neu"]).command == "neu"
    assert parser.parse_args(["verify", "x.pdf"]).command == "verify"
