"""Validation of xdomea 3.1 messages against the rules the standard documents.

The official XSD (KoSIT) is in no package registry this project may install
from, so this module encodes the content models of the xdomea 3.1.0 types the
connector produces and the receiver reads (``Abgabe.Abgabe.0401``,
``Abgabe.ImportBestaetigen.0402`` and the Baukasten types they use): element
order, cardinality, the xdomea namespace, UUIDs, dates, booleans, code values,
the fixed ``Importbestaetigung``, and the container rules (ZIP and XML named
``{ProzessID}_{Nachricht}``, every ``Dateiname`` present, no stray file).
Types the connector never writes (Akte, Anschrift, Geschäftsgang, ...) are only
checked for their position and cardinality, not their content.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime

from lxml import etree

NS = "urn:xoev-de:xdomea:schema:3.1.0"
UNBOUNDED = 1_000_000

_UUID = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
_FILENAME = re.compile(r"^[^/\\:*?\"<>|\x00-\x1f]{1,255}$")


class XdomeaError(ValueError):
    """The message breaks a rule of the standard; ``str()`` names where."""


Check = Callable[[etree._Element, str], None]


def _text(element: etree._Element) -> str:
    if len(element):
        raise XdomeaError(f"{_path(element)}: erwartet Text, nicht Unterelemente")
    return element.text or ""


def _path(element: etree._Element) -> str:
    parts = []
    node: etree._Element | None = element
    while node is not None:
        parts.append(etree.QName(node).localname)
        node = node.getparent()
    return "/" + "/".join(reversed(parts))


def _string(element: etree._Element, _: str) -> None:
    _text(element)


def _uuid(element: etree._Element, _: str) -> None:
    if not _UUID.match(_text(element)):
        raise XdomeaError(f"{_path(element)}: keine UUID")


def _datetime(element: etree._Element, _: str) -> None:
    try:
        datetime.fromisoformat(_text(element))
    except ValueError:
        raise XdomeaError(f"{_path(element)}: kein xs:dateTime") from None


def _date(element: etree._Element, _: str) -> None:
    try:
        date.fromisoformat(_text(element))
    except ValueError:
        raise XdomeaError(f"{_path(element)}: kein xs:date") from None


def _boolean(element: etree._Element, _: str) -> None:
    if _text(element) not in ("true", "false", "1", "0"):
        raise XdomeaError(f"{_path(element)}: kein xs:boolean")


def _true(element: etree._Element, _: str) -> None:
    if _text(element) not in ("true", "1"):
        raise XdomeaError(f"{_path(element)}: fester Wert 1 verlangt")


def _unsigned(element: etree._Element, _: str) -> None:
    if not _text(element).isdigit():
        raise XdomeaError(f"{_path(element)}: kein xs:unsignedInt")


def _filename(element: etree._Element, _: str) -> None:
    if not _FILENAME.match(_text(element)):
        raise XdomeaError(f"{_path(element)}: unzulässiger Dateiname")


def _code(element: etree._Element, _: str) -> None:
    """XÖV code type: an unqualified ``code`` child, optional ``name``."""
    children = [etree.QName(child).localname for child in element]
    if not children or children[0] != "code" or len(children) > 2:
        raise XdomeaError(f"{_path(element)}: Codeelement braucht <code>")
    if len(children) == 2 and children[1] != "name":
        raise XdomeaError(f"{_path(element)}: nach <code> nur <name> erlaubt")
    if not (element[0].text or "").strip():
        raise XdomeaError(f"{_path(element)}: leerer Code")


def _any(element: etree._Element, _: str) -> None:
    return None


Spec = tuple[str, int, int, "str | Check"]

TYPES: dict[str, list[Spec]] = {
    "Abgabe.Abgabe.0401": [
        ("Kopf", 1, 1, "NkAbgabe"),
        ("Anschreiben", 0, 1, "Dokument"),
        ("Schriftgutobjekt", 1, UNBOUNDED, "Schriftgutobjekt"),
        ("Aktenplan", 0, 1, _any),
    ],
    "Abgabe.ImportBestaetigen.0402": [
        ("Kopf", 1, 1, "NkBasis"),
        ("AbgegebenesObjekt", 1, UNBOUNDED, "ErfolgOderMisserfolgAbgabe"),
    ],
    "NkBasis": [
        ("ProzessID", 1, 1, _uuid),
        ("Nachrichtentyp", 1, 1, _code),
        ("Erstellungszeitpunkt", 1, 1, _datetime),
        ("Absender", 1, 1, "Kontakt"),
        ("Empfaenger", 1, 1, "Kontakt"),
        ("SendendesSystem", 0, 1, "System"),
        ("Hinweis", 0, 1, _string),
        ("AnwendungsspezifischeErweiterung", 0, 1, "Erweiterung"),
        ("AnwendungsspezifischeErweiterungXML", 0, 1, _any),
    ],
    "ErfolgOderMisserfolgAbgabe": [
        ("IDSGO", 1, 1, _uuid),
        ("Erfolgreich", 1, 1, _boolean),
        ("Fehlermeldung", 0, UNBOUNDED, _string),
        ("FehlermeldungCode", 0, UNBOUNDED, _code),
    ],
    "Kontakt": [
        ("Behoerdenkennung", 0, 1, "Behoerdenkennung"),
        ("Institution", 0, 1, "NameOrganisation"),
        ("Organisationseinheit", 0, 1, "Organisationseinheit"),
        ("Name", 0, 1, _any),
        ("Taetigkeit", 0, 1, _string),
        ("Zustaendigkeit", 0, 1, _string),
        ("Anschrift", 0, UNBOUNDED, _any),
        ("Kommunikation", 0, UNBOUNDED, _any),
        ("Rolle", 0, 1, _code),
        ("UnstrukturierteAnschrift", 0, UNBOUNDED, _any),
        ("Geburt", 0, 1, _any),
    ],
    "Behoerdenkennung": [
        ("Behoerdenschluessel", 0, 1, _code),
        ("Praefix", 0, 1, _code),
    ],
    "NameOrganisation": [("Name", 0, 1, _string), ("Kurzbezeichnung", 0, 1, _string)],
    "Organisationseinheit": [("Name", 1, 1, _string)],
    "System": [
        ("InstanzID", 0, 1, _string),
        ("Produktname", 0, 1, _string),
        ("Version", 0, 1, _string),
    ],
    "Vorgang": [
        ("Identifikation", 1, 1, "Identifikation"),
        ("AllgemeineMetadaten", 0, 1, "AllgemeineMetadaten"),
        ("ArchivspezifischeMetadaten", 0, 1, _any),
        ("Aktenbetreff", 0, 1, _string),
        ("Typ", 0, 1, _string),
        ("ZdA", 0, 1, _boolean),
        ("ZdADatum", 0, 1, _date),
        ("Laufzeit", 0, 1, _any),
        ("HistorienProtokollInformation", 0, UNBOUNDED, _any),
        ("InternerGeschaeftsgang", 0, 1, _any),
        ("Dokument", 0, UNBOUNDED, "Dokument"),
        ("Verweis", 0, UNBOUNDED, _any),
        ("Kontakt", 0, UNBOUNDED, "Kontakt"),
        ("Teilvorgang", 0, UNBOUNDED, "Vorgang"),
        ("AnwendungsspezifischeErweiterung", 0, 1, "Erweiterung"),
        ("AnwendungsspezifischeErweiterungXML", 0, 1, _any),
    ],
    "Dokument": [
        ("Identifikation", 1, 1, "Identifikation"),
        ("AllgemeineMetadaten", 0, 1, "AllgemeineMetadaten"),
        ("FremdesGeschaeftszeichen", 0, 1, _string),
        ("Posteingangsdatum", 0, 1, _date),
        ("Postausgangsdatum", 0, 1, _date),
        ("DatumDesSchreibens", 0, 1, _date),
        ("Bezug", 0, 1, _string),
        ("Hier", 0, 1, _string),
        ("Bearbeiter", 0, 1, _string),
        ("Typ", 0, 1, _string),
        ("HistorienProtokollInformation", 0, UNBOUNDED, _any),
        ("InternerGeschaeftsgang", 0, 1, _any),
        ("Version", 0, UNBOUNDED, "Version"),
        ("Verweis", 0, UNBOUNDED, _any),
        ("Anlage", 0, UNBOUNDED, _any),
        ("Absender", 0, UNBOUNDED, "Kontakt"),
        ("Empfaenger", 0, UNBOUNDED, "Kontakt"),
        ("WeitererKontakt", 0, UNBOUNDED, "Kontakt"),
        ("AnwendungsspezifischeErweiterung", 0, UNBOUNDED, "Erweiterung"),
        ("AnwendungsspezifischeErweiterungXML", 0, 1, _any),
    ],
    "Identifikation": [
        ("ID", 1, 1, _uuid),
        ("NummerImUebergeordnetenContainer", 0, 1, _unsigned),
    ],
    "AllgemeineMetadaten": [
        ("Betreff", 0, 1, _string),
        ("Kennzeichen", 0, 1, _string),
        ("Federfuehrung", 0, 1, _string),
        ("Aktenfuehrung", 0, 1, _string),
        ("Vertraulichkeitsstufe", 0, 1, _code),
        ("Bemerkung", 0, 1, _string),
        ("Medium", 0, 1, _code),
        ("Aktenplaneinheit", 0, 1, _any),
    ],
    "Version": [("Nummer", 1, 1, _string), ("Format", 1, UNBOUNDED, "Format")],
    "Format": [
        ("Name", 1, 1, _code),
        ("SonstigerName", 0, 1, _string),
        ("Version", 1, 1, _string),
        ("Primaerdokument", 1, 1, "Primaerdokument"),
    ],
    "Primaerdokument": [
        ("Dateiname", 1, 1, _filename),
        ("DateinameOriginal", 0, 1, _string),
        ("Ersteller", 0, 1, _string),
        ("DatumUhrzeit", 0, 1, _datetime),
        ("SignaturSiegel", 0, 1, _any),
    ],
    "Erweiterung": [
        ("Kennung", 1, 1, _string),
        ("Name", 1, 1, _string),
        ("Beschreibung", 0, 1, _string),
        ("Versionsnummer", 0, 1, _string),
        ("Versionsdatum", 0, 1, _date),
        ("Feldgruppe", 0, UNBOUNDED, "Feldgruppe"),
        ("Feld", 0, UNBOUNDED, "Feld"),
    ],
    "Feldgruppe": [
        ("Name", 1, 1, _string),
        ("Beschreibung", 1, 1, _string),
        ("Unterfeldgruppe", 0, UNBOUNDED, "Feldgruppe"),
        ("Feld", 0, UNBOUNDED, "Feld"),
    ],
    "Feld": [
        ("Name", 1, 1, _string),
        ("Beschreibung", 0, 1, _string),
        ("Datentyp", 0, 1, _code),
        ("Wert", 0, 1, _string),
    ],
}
# NkAbgabe extends NkNichtFVDatenWeitereEmpfaenger which extends NkBasis.
TYPES["NkAbgabe"] = [
    *TYPES["NkBasis"],
    ("WeitererEmpfaenger", 0, UNBOUNDED, "Kontakt"),
    ("Importbestaetigung", 1, 1, _true),
    ("Empfangsbestaetigung", 1, 1, _boolean),
]
_SCHRIFTGUTOBJEKT: dict[str, str | Check] = {
    "Akte": _any,
    "Vorgang": "Vorgang",
    "Dokument": "Dokument",
}


def validate_element(element: etree._Element, type_name: str) -> None:
    """Check ``element``'s children against the content model ``type_name``."""
    if type_name == "Schriftgutobjekt":
        _validate_choice(element)
        return
    specs = TYPES[type_name]
    counts = [0] * len(specs)
    index = 0
    for child in element.iterchildren(etree.Element):
        qname = etree.QName(child)
        if qname.namespace != NS:
            raise XdomeaError(f"{_path(child)}: Element nicht im xdomea-Namensraum")
        while index < len(specs) and specs[index][0] != qname.localname:
            index += 1
        if index == len(specs):
            raise XdomeaError(
                f"{_path(child)}: an dieser Stelle nicht erlaubt (Reihenfolge?)"
            )
        counts[index] += 1
        if counts[index] > specs[index][2]:
            raise XdomeaError(
                f"{_path(child)}: höchstens {specs[index][2]}-mal erlaubt"
            )
        _check(child, specs[index][3])
    for (name, minimum, _, _), count in zip(specs, counts, strict=True):
        if count < minimum:
            raise XdomeaError(f"{_path(element)}: Pflichtelement {name} fehlt")


def _check(child: etree._Element, kind: str | Check) -> None:
    if isinstance(kind, str):
        validate_element(child, kind)
    else:
        kind(child, "")


def _validate_choice(element: etree._Element) -> None:
    children = list(element.iterchildren(etree.Element))
    if len(children) != 1:
        raise XdomeaError(
            f"{_path(element)}: genau eine Akte, ein Vorgang oder ein Dokument"
        )
    child = children[0]
    qname = etree.QName(child)
    if qname.namespace != NS or qname.localname not in _SCHRIFTGUTOBJEKT:
        raise XdomeaError(f"{_path(child)}: erwartet Akte, Vorgang oder Dokument")
    _check(child, _SCHRIFTGUTOBJEKT[qname.localname])


def validate_message(root: etree._Element, message: str, code: str) -> None:
    """Validate a whole message: root element, its content and its message type."""
    qname = etree.QName(root)
    if qname.namespace != NS or qname.localname != message:
        raise XdomeaError(f"Wurzelelement {qname.localname} statt {message}")
    validate_element(root, message)
    found = root.find(f"{{{NS}}}Kopf/{{{NS}}}Nachrichtentyp/code")
    if found is None or found.text != code:
        raise XdomeaError(f"Nachrichtentyp {code} erwartet")
    for fmt in root.iter(f"{{{NS}}}Format"):
        name = fmt.find(f"{{{NS}}}Name/code")
        if (
            name is not None
            and name.text == "100"
            and fmt.find(f"{{{NS}}}SonstigerName") is None
        ):
            raise XdomeaError(f"{_path(fmt)}: Formatcode 100 verlangt SonstigerName")


def referenced_files(root: etree._Element) -> list[str]:
    return [element.text or "" for element in root.iter(f"{{{NS}}}Dateiname")]
