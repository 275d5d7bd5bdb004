"""Letters with chosen German text for the station tests (Pillow, DejaVu fonts)."""

from __future__ import annotations

from pathlib import Path

from PIL import ImageDraw

from appliance import samples
from appliance.station.auth import Users

from .login import PASSWORD, USER

DPI = 150

BUILDING = (
    "Stadt Musterstadt, Bauordnungsamt",
    "Antrag auf Baugenehmigung",
    "Aktenzeichen 63.123/2024",
    "Die Bauzeichnungen liegen bei.",
)
FINE_1 = (
    "Anhörung im Bußgeldverfahren",
    "Ordnungswidrigkeit vom 3. Mai",
    "Ich äußere mich wie folgt:",
)
FINE_2 = (
    "Seite zwei meiner Stellungnahme",
    "Ich bitte um Einstellung.",
)
DOG = (
    "Sehr geehrte Damen und Herren,",
    "ich möchte meinen Hund anmelden.",
    "Mit freundlichen Grüßen",
)

RULES = """
threshold = 0.75

[[offices]]
id = "bauamt"
name = "Bauordnungsamt"
route = "dms:posteingang-63"

[[offices]]
id = "ordnungsamt"
name = "Ordnungsamt"
route = "dms:posteingang-32"

[[offices]]
id = "steueramt"
name = "Steueramt"
route = "dms:posteingang-21"

[[offices]]
id = "buergeramt"
name = "Bürgeramt"
route = "dms:posteingang-33"
redact_id_copies = ["can", "photo"]

[[barcode]]
pattern = "^ROUTE-BA$"
office = "buergeramt"
confidence = 0.99

[[file_reference]]
pattern = "63\\\\.\\\\d{3}/\\\\d{4}"
office = "bauamt"

[[keyword]]
keywords = ["Anhörung", "Ordnungswidrigkeit", "Bußgeldverfahren"]
office = "ordnungsamt"
min_hits = 2
confidence = 0.85
"""


def letter(folder: Path, name: str, lines: tuple[str, ...], seed: int) -> Path:
    page = samples.blank_sheet(DPI)
    draw = ImageDraw.Draw(page)
    mm = DPI / 25.4
    for row, text in enumerate(lines):
        draw.text(
            (20 * mm, (30 + 14 * row) * mm),
            text,
            fill=10,
            font=samples.font(round(6 * mm)),
        )
    return samples.save(samples.scan(page, seed, noise=3.0), folder / name, DPI)


def separator(folder: Path, name: str, seed: int) -> Path:
    page, _ = samples.separator_sheet(DPI)
    return samples.save(samples.scan(page, seed, noise=3.0), folder / name, DPI)


def mail_batch(folder: Path) -> list[Path]:
    """Three documents on six sheets: building (1 page), fine (2), dog (1)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [
        letter(folder, "01-bau.png", BUILDING, 1),
        separator(folder, "02-trenn.png", 2),
        letter(folder, "03-anhoerung-1.png", FINE_1, 3),
        letter(folder, "04-anhoerung-2.png", FINE_2, 4),
        separator(folder, "05-trenn.png", 5),
        letter(folder, "06-hund.png", DOG, 6),
    ]


def station_folder(
    root: Path,
    *,
    intake_url: str = "http://127.0.0.1:9",
    token: str = "mpt_x",  # noqa: S107 - a placeholder, never valid
    auto_commit: bool = True,
    scanner: str = "",
    port: int = 8080,
    deliver: bool = True,
) -> Path:
    """A station folder with settings, rules, an input folder, a token file and
    the operator account of ``login.py``."""
    root.mkdir(parents=True, exist_ok=True)
    users = Users(root / "daten" / "station.sqlite3")
    if users.count() == 0:
        users.add(USER, PASSWORD)
    (root / "rules.toml").write_text(RULES, encoding="utf-8")
    (root / "intake-token").write_text(token)
    (root / "eingang").mkdir(exist_ok=True)
    settings = root / "station.toml"
    settings.write_text(
        f"""
port = {port}
data_dir = "daten"
state_dir = "zustand"
rules_file = "rules.toml"
input_folder = "eingang"
scanner = "{scanner}"
operator = "Frau Beispiel"
auto_commit = {str(auto_commit).lower()}
deliver = {str(deliver).lower()}

[[profiles]]
name = "Brief 150 dpi"
resolution = {DPI}
mode = "gray"
source = "adf"
paper = "scan-area"

[[profiles]]
name = "Flachbett"
resolution = {DPI}
mode = "gray"
source = "flatbed"
paper = "scan-area"

[pipeline]
appliance_id = "scanstation-test"
ocr_workers = 2

[outbox]
folder = "postausgang"
intake_url = "{intake_url}"
token_file = "intake-token"
timeout_seconds = 3
backoff_base = 0.05
backoff_cap = 0.3
max_attempts = 3
poll_seconds = 0.1
reserve_bytes = 0
""",
        encoding="utf-8",
    )
    return settings
