"""What is on the sample mail: the documents of a mailroom batch, page by page.

Each ``Template`` is one document as it arrives (a letter, a city form sent back, a
letter with an ID-card copy), with the routing the sample rules (``rules.py``) must
give it. LeiKa keys are the demo catalog's (``marketplace/demo/data/services.json``);
people and addresses are invented, the ID-card data is the well-known specimen
"ERIKA MUSTERMANN".
"""

from __future__ import annotations

from typing import Literal

import msgspec

from appliance.model import BarcodeFormat

PageKind = Literal["letter", "form", "id_copy", "blank"]


class PageSpec(msgspec.Struct, kw_only=True, frozen=True):
    """One sheet of a document; ``body`` lines are wrapped when drawn."""

    kind: PageKind
    title: str = ""
    body: tuple[str, ...] = ()
    fields: tuple[tuple[str, str], ...] = ()  # form: label, filled-in value
    code: tuple[BarcodeFormat, str] | None = None


class Expected(msgspec.Struct, kw_only=True, frozen=True):
    """The routing decision the sample rules must reach for a document."""

    office: str | None
    leika_key: str | None = None
    route: str | None = None
    method: str = "none"
    needs_review: bool = False
    keep_original: bool = False
    id_copy: bool = False


class Template(msgspec.Struct, kw_only=True, frozen=True):
    name: str
    title: str
    sender: tuple[str, ...]
    recipient: str
    pages: tuple[PageSpec, ...]
    expected: Expected


SENDERS = (
    ("Jonas Beispiel", "Lindenallee 7", "04109 Musterstadt"),
    ("Aylin Demir", "Am Mühlgraben 23", "04155 Musterstadt"),
    ("Familie Nowak", "Querstraße 4b", "04103 Musterstadt"),
)

MELDEBESCHEINIGUNG = Template(
    name="meldebescheinigung",
    title="Antrag auf Meldebescheinigung",
    sender=SENDERS[0],
    recipient="Bürgeramt",
    pages=(
        PageSpec(
            kind="letter",
            title="Antrag auf Ausstellung einer Meldebescheinigung",
            body=(
                "Sehr geehrte Damen und Herren,",
                "für die Vorlage bei meinem Arbeitgeber benötige ich eine einfache "
                "Meldebescheinigung über meinen Wohnsitz in Musterstadt.",
                "Ich bin seit dem 1. April 2024 unter der oben genannten Anschrift "
                "gemeldet. Die Gebühr überweise ich nach Erhalt der Rechnung.",
                "Bitte senden Sie die Meldebescheinigung an meine Anschrift.",
                "Mit freundlichen Grüßen",
            ),
        ),
        PageSpec(kind="blank"),
    ),
    expected=Expected(
        office="buergeramt",
        leika_key="99990000011000",
        route="fit-connect:buergeramt",
        method="keyword",
    ),
)

HUNDESTEUER = Template(
    name="hundesteuer",
    title="Anmeldung zur Hundesteuer (Rücksendeformular)",
    sender=SENDERS[1],
    recipient="Steueramt",
    pages=(
        PageSpec(
            kind="form",
            title="Anmeldung eines Hundes zur Hundesteuer",
            fields=(
                ("Name der Halterin / des Halters", "Aylin Demir"),
                ("Anschrift", "Am Mühlgraben 23, 04155 Musterstadt"),
                ("Rasse des Hundes", "Labrador-Mischling"),
                ("Name des Hundes", "Bruno"),
                ("Chipnummer", "276098106543210"),
                ("Gehalten seit", "15.09.2026"),
            ),
            code=(BarcodeFormat.QR, "ROUTE:STEUERAMT:HUNDESTEUER"),
        ),
    ),
    expected=Expected(
        office="steueramt",
        leika_key="99990000026000",
        route="dms:steueramt-posteingang",
        method="barcode",
    ),
)

WIDERSPRUCH = Template(
    name="widerspruch",
    title="Widerspruch gegen einen Gebührenbescheid",
    sender=SENDERS[2],
    recipient="Rechtsamt",
    pages=(
        PageSpec(
            kind="letter",
            title="Widerspruch gegen den Gebührenbescheid vom 2. Oktober 2026",
            body=(
                "Sehr geehrte Damen und Herren,",
                "gegen den oben genannten Gebührenbescheid lege ich hiermit "
                "fristgerecht Widerspruch ein.",
                "Die Straßenreinigung vor unserem Grundstück findet seit Monaten "
                "nicht mehr statt. Die Gebühr ist daher nicht gerechtfertigt.",
            ),
        ),
        PageSpec(
            kind="letter",
            body=(
                "Ich beantrage, den Bescheid aufzuheben und die bereits gezahlte "
                "Gebühr zu erstatten. Eine Begründung im Einzelnen reiche ich nach.",
                "Bitte bestätigen Sie mir den Eingang dieses Widerspruchs.",
                "Mit freundlichen Grüßen",
            ),
        ),
    ),
    expected=Expected(
        office="rechtsamt",
        route="dms:rechtsamt",
        method="keyword",
    ),
)

BAUANTRAG = Template(
    name="bauantrag",
    title="Bauantrag mit Rücksendeformular",
    sender=SENDERS[0],
    recipient="Bauordnungsamt",
    pages=(
        PageSpec(
            kind="letter",
            title="Bauantrag für ein Gartenhaus, Aktenzeichen 63.0815/2026",
            body=(
                "Sehr geehrte Damen und Herren,",
                "anbei erhalten Sie den Bauantrag für ein Gartenhaus auf dem "
                "Grundstück Lindenallee 7, Flurstück 112/4.",
                "Die Bauzeichnungen und der Lageplan liegen in zweifacher "
                "Ausfertigung bei.",
                "Mit freundlichen Grüßen",
            ),
        ),
        PageSpec(
            kind="form",
            title="Bauantrag nach der Sächsischen Bauordnung",
            fields=(
                ("Bauherr", "Jonas Beispiel"),
                ("Baugrundstück", "Lindenallee 7, Flurstück 112/4"),
                ("Vorhaben", "Errichtung eines Gartenhauses, 18 m²"),
                ("Entwurfsverfasser", "Ingenieurbüro Kranich"),
            ),
            code=(BarcodeFormat.CODE128, "ROUTE-BAU-63"),
        ),
    ),
    expected=Expected(
        office="bauamt",
        leika_key="99990000007000",
        route="xdomea:bauamt",
        method="barcode",
    ),
)

WOHNGELD = Template(
    name="wohngeld",
    title="Wohngeldantrag mit Ausweiskopie",
    sender=("Erika Mustermann", "Heidestraße 17", "51147 Köln"),
    recipient="Wohngeldstelle",
    pages=(
        PageSpec(
            kind="letter",
            title="Antrag auf Wohngeld (Mietzuschuss)",
            body=(
                "Sehr geehrte Damen und Herren,",
                "hiermit beantrage ich Wohngeld als Mietzuschuss für meine Wohnung.",
                "Wie gewünscht lege ich eine Kopie meines Personalausweises bei.",
                "Mit freundlichen Grüßen",
            ),
        ),
        PageSpec(kind="id_copy"),
    ),
    expected=Expected(
        office="wohngeldstelle",
        leika_key="99990000006000",
        route="fit-connect:wohngeld",
        method="keyword",
        needs_review=True,
        id_copy=True,
    ),
)

ZUSTELLUNG = Template(
    name="zustellungsurkunde",
    title="Zustellungsurkunde (Negativliste)",
    sender=("Amtsgericht Musterstadt", "Harkortstraße 9", "04107 Musterstadt"),
    recipient="Ordnungsamt",
    pages=(
        PageSpec(
            kind="letter",
            title="Zustellungsurkunde im Bußgeldverfahren",
            body=(
                "Die Zustellungsurkunde zum Bußgeldbescheid wegen einer "
                "Ordnungswidrigkeit wird Ihnen im Original zurückgesandt.",
                "Das Schriftstück wurde am 14. Oktober 2026 durch Einlegen in den "
                "Briefkasten zugestellt.",
                "Die Urkunde ist im Original zur Akte zu nehmen.",
            ),
        ),
    ),
    expected=Expected(
        office="ordnungsamt",
        route="fit-connect:ordnungsamt",
        method="keyword",
        keep_original=True,
    ),
)

UNKLAR = Template(
    name="anfrage",
    title="Allgemeine Anfrage (keine Regel passt)",
    sender=SENDERS[1],
    recipient="Stadtverwaltung",
    pages=(
        PageSpec(
            kind="letter",
            title="Frage zu den Öffnungszeiten",
            body=(
                "Sehr geehrte Damen und Herren,",
                "können Sie mir bitte mitteilen, ob das Rathaus am Samstag vor "
                "dem ersten Advent geöffnet hat?",
                "Vielen Dank und freundliche Grüße",
            ),
        ),
    ),
    expected=Expected(office=None, needs_review=True),
)

TEMPLATES = (
    MELDEBESCHEINIGUNG,
    HUNDESTEUER,
    WIDERSPRUCH,
    BAUANTRAG,
    WOHNGELD,
    ZUSTELLUNG,
    UNKLAR,
)
