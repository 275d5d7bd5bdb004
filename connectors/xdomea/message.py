"""Building and reading the xdomea messages of a submission.

A submission becomes one ``Abgabe.Abgabe.0401``: a Vorgang whose Dokumente are
the submission's files (and its structured data as a JSON file), packed as the
standard prescribes in ``{ProzessID}_Abgabe.Abgabe.0401.zip`` holding
``{ProzessID}_Abgabe.Abgabe.0401.xml`` and the primary documents. Test
submissions say so in the header's ``Hinweis`` and in the ``Test`` field. The
receiver answers with ``Abgabe.ImportBestaetigen.0402``.
"""

from __future__ import annotations

import hashlib
import io
import re
import uuid
import zipfile
from datetime import UTC, datetime

import msgspec
from lxml import etree

from connectors.submission import Document, Submission
from connectors.xdomea.rules import NS, XdomeaError, referenced_files, validate_message

ABGABE = "Abgabe.Abgabe.0401"
IMPORT = "Abgabe.ImportBestaetigen.0402"
CODELIST_MESSAGE = "urn:xoev-de:xdomea:codeliste:nachrichtentyp"
CODELIST_FORMAT = "urn:xoev-de:xdomea:codeliste:dateiformat"
EXTENSION = "urn:efa-stack:xdomea:einreichung:1"
TEST_NOTICE = "TESTNACHRICHT - nicht in den Produktivbestand übernehmen"
_NAMESPACE = uuid.UUID("5b0c1f1e-7a51-4d53-9a4c-2f7d3b8e6c10")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


def object_id(*parts: str) -> str:
    """A stable UUID for a Schriftgutobjekt, so a retry sends identical IDs."""
    return str(uuid.uuid5(_NAMESPACE, "/".join(parts)))


class Packed(msgspec.Struct, kw_only=True, frozen=True):
    process_id: str
    filename: str
    content: bytes


def _el(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    element = etree.SubElement(parent, f"{{{NS}}}{name}")
    if text is not None:
        element.text = text
    return element


def _code(
    parent: etree._Element, name: str, uri: str, version: str, value: str
) -> None:
    element = _el(parent, name)
    element.set("listURI", uri)
    element.set("listVersionID", version)
    etree.SubElement(element, "code").text = value


def _fields(parent: etree._Element, name: str, fields: dict[str, str]) -> None:
    extension = _el(parent, "AnwendungsspezifischeErweiterung")
    _el(extension, "Kennung", EXTENSION)
    _el(extension, "Name", name)
    for key, value in fields.items():
        field = _el(extension, "Feld")
        _el(field, "Name", key)
        _el(field, "Wert", value)


def _header(
    root: etree._Element, process_id: str, code: str, submission: Submission
) -> etree._Element:
    head = _el(root, "Kopf")
    _el(head, "ProzessID", process_id)
    _code(head, "Nachrichtentyp", CODELIST_MESSAGE, "2.0", code)
    _el(head, "Erstellungszeitpunkt", datetime.now(UTC).isoformat(timespec="seconds"))
    sender = _el(_el(head, "Absender"), "Institution")
    _el(sender, "Name", "EfA-Marktplatz")
    receiver = _el(head, "Empfaenger")
    authority = _el(receiver, "Behoerdenkennung")
    _code(
        authority,
        "Behoerdenschluessel",
        "urn:de:bund:destatis:bevoelkerungsstatistik:schluessel:ags",
        "2024",
        submission.metadata.ags,
    )
    _code(authority, "Praefix", "urn:de:bund:bva:dvdv:praefix", "1", "ags:")
    _el(_el(receiver, "Organisationseinheit"), "Name", submission.metadata.office)
    system = _el(head, "SendendesSystem")
    _el(system, "Produktname", "efa-stack")
    _el(system, "Version", "0.1.0")
    if submission.test:
        _el(head, "Hinweis", TEST_NOTICE)
    meta = submission.metadata
    _fields(
        head,
        "Einreichung",
        {
            "EinreichungsID": submission.submission_id,
            "Idempotenzschluessel": submission.idempotency_key,
            "Test": "1" if submission.test else "0",
            "Leistungsschluessel": meta.leika,
            "Kanal": meta.channel,
            "Vertrauensniveau": meta.identification_level,
            "Eingang": meta.received_at.isoformat(),
        },
    )
    return head


def _pdf_version(content: bytes) -> str:
    match = re.match(rb"%PDF-(\d\.\d)", content[:16])
    return match[1].decode() if match else "unbekannt"


def _safe(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._") or "datei"
    return cleaned[:80]


def _document(
    vorgang: etree._Element, submission: Submission, document: Document, number: int
) -> str:
    oid = object_id(submission.idempotency_key, document.document_id)
    filename = f"{oid}_{_safe(document.filename)}"
    element = _el(vorgang, "Dokument")
    ident = _el(element, "Identifikation")
    _el(ident, "ID", oid)
    _el(ident, "NummerImUebergeordnetenContainer", str(number))
    _el(_el(element, "AllgemeineMetadaten"), "Betreff", document.filename)
    if submission.metadata.channel == "paper":
        _el(
            element,
            "Posteingangsdatum",
            submission.metadata.received_at.date().isoformat(),
        )
    _el(element, "Typ", "Eingangsdokument")
    version = _el(element, "Version")
    _el(version, "Nummer", "1")
    fmt = _el(version, "Format")
    _code(fmt, "Name", CODELIST_FORMAT, "2.0", "100")
    _el(fmt, "SonstigerName", document.media_type)
    pdf = document.media_type == "application/pdf"
    _el(fmt, "Version", _pdf_version(document.content) if pdf else "1")
    primary = _el(fmt, "Primaerdokument")
    _el(primary, "Dateiname", filename)
    _el(primary, "DateinameOriginal", document.filename)
    fields = {"SHA256": document.sha256, "Groesse": str(document.size)}
    note = submission.transfer_note
    if note is not None:
        fields |= {
            "Transfervermerk.Bediener": note.operator,
            "Transfervermerk.Zeitpunkt": note.scanned_at.isoformat(),
            "Transfervermerk.Geraet": note.device,
            "Transfervermerk.Profil": note.profile,
            "Transfervermerk.Qualitaetspruefung": "bestanden"
            if note.quality_check_passed
            else "nicht bestanden",
            "Transfervermerk.Auffaelligkeiten": "; ".join(note.anomalies) or "keine",
            "Transfervermerk.Schutzbedarf": note.integrity,
        }
    _fields(element, "Dokumentangaben", fields)
    return filename


def build_abgabe(submission: Submission) -> Packed:
    """The 0401 message for ``submission``, packed and validated."""
    process_id = object_id(submission.idempotency_key, "prozess")
    root = etree.Element(f"{{{NS}}}{ABGABE}", nsmap={"xdomea": NS})
    head = _header(root, process_id, "0401", submission)
    _el(head, "Importbestaetigung", "true")
    _el(head, "Empfangsbestaetigung", "true")
    vorgang = _el(_el(root, "Schriftgutobjekt"), "Vorgang")
    ident = _el(vorgang, "Identifikation")
    _el(ident, "ID", object_id(submission.idempotency_key, "vorgang"))
    general = _el(vorgang, "AllgemeineMetadaten")
    _el(
        general,
        "Betreff",
        submission.metadata.subject or f"Einreichung {submission.submission_id}",
    )
    if submission.metadata.file_reference:
        _el(general, "Kennzeichen", submission.metadata.file_reference)
    _el(
        vorgang,
        "Typ",
        "Posteingang" if submission.metadata.channel == "paper" else "Online-Antrag",
    )
    files: dict[str, bytes] = {}
    documents = list(submission.documents)
    if submission.data is not None:
        data = msgspec.json.encode(submission.data)
        fachdaten = Document.from_bytes(
            data, filename="fachdaten.json", media_type="application/json"
        )
        documents.append(msgspec.structs.replace(fachdaten, document_id="fachdaten"))
    for number, document in enumerate(documents, start=1):
        files[_document(vorgang, submission, document, number)] = document.content
    validate_message(root, ABGABE, "0401")
    stem = f"{process_id}_{ABGABE}"
    xml = etree.tostring(root, xml_declaration=True, encoding="UTF-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{stem}.xml", xml, compress_type=zipfile.ZIP_DEFLATED)
        for name, content in files.items():
            archive.writestr(name, content, compress_type=zipfile.ZIP_STORED)
    return Packed(
        process_id=process_id, filename=f"{stem}.zip", content=buffer.getvalue()
    )


class Unpacked(msgspec.Struct, kw_only=True, frozen=True):
    process_id: str
    root_xml: bytes
    files: dict[str, bytes]
    fields: dict[str, str]


def unpack_abgabe(filename: str, content: bytes, max_uncompressed: int) -> Unpacked:
    """Receiver side: open, check the container rules and validate the 0401 message."""
    match = re.fullmatch(r"([0-9a-f-]{36})_" + re.escape(ABGABE) + r"\.zip", filename)
    if match is None:
        raise XdomeaError(
            f"Containername {filename!r} entspricht nicht {{ProzessID}}_{ABGABE}.zip"
        )
    process_id = match[1]
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except zipfile.BadZipFile:
        raise XdomeaError("Container ist kein ZIP-Archiv") from None
    with archive:
        infos = archive.infolist()
        if sum(info.file_size for info in infos) > max_uncompressed:
            raise XdomeaError("Container entpackt größer als erlaubt")
        names = {info.filename for info in infos}
        xml_name = f"{process_id}_{ABGABE}.xml"
        if xml_name not in names:
            raise XdomeaError(f"Nachrichtendatei {xml_name} fehlt im Container")
        try:
            root = etree.fromstring(archive.read(xml_name), _PARSER)
        except etree.XMLSyntaxError as exc:
            raise XdomeaError(f"XML nicht wohlgeformt: {exc}") from None
        validate_message(root, ABGABE, "0401")
        if root.findtext(f"{{{NS}}}Kopf/{{{NS}}}ProzessID") != process_id:
            raise XdomeaError("ProzessID im Kopf passt nicht zum Containernamen")
        referenced = referenced_files(root)
        missing = [name for name in referenced if name not in names]
        if missing:
            raise XdomeaError(f"Primärdokument fehlt im Container: {missing[0]}")
        stray = names - set(referenced) - {xml_name}
        if stray:
            raise XdomeaError(
                f"Nicht referenzierte Datei im Container: {sorted(stray)[0]}"
            )
        files = {name: archive.read(name) for name in referenced}
    fields = header_fields(root)
    return Unpacked(
        process_id=process_id, root_xml=etree.tostring(root), files=files, fields=fields
    )


def header_fields(root: etree._Element) -> dict[str, str]:
    fields: dict[str, str] = {}
    for field in root.iterfind(
        f"{{{NS}}}Kopf/{{{NS}}}AnwendungsspezifischeErweiterung/{{{NS}}}Feld"
    ):
        fields[field.findtext(f"{{{NS}}}Name") or ""] = (
            field.findtext(f"{{{NS}}}Wert") or ""
        )
    return fields


def document_checksums(root_xml: bytes) -> dict[str, str]:
    """Dateiname -> SHA256 as declared in each Dokument's extension fields."""
    root = etree.fromstring(root_xml, _PARSER)
    result: dict[str, str] = {}
    for document in root.iter(f"{{{NS}}}Dokument"):
        name = document.findtext(f".//{{{NS}}}Dateiname") or ""
        for field in document.iterfind(
            f"{{{NS}}}AnwendungsspezifischeErweiterung/{{{NS}}}Feld"
        ):
            if field.findtext(f"{{{NS}}}Name") == "SHA256":
                result[name] = field.findtext(f"{{{NS}}}Wert") or ""
    return result


def build_import_confirmation(
    process_id: str, root_xml: bytes, error: str | None
) -> bytes:
    """The receiver's 0402 for every Schriftgutobjekt of an 0401 message."""
    source = etree.fromstring(root_xml, _PARSER)
    root = etree.Element(f"{{{NS}}}{IMPORT}", nsmap={"xdomea": NS})
    head = _el(root, "Kopf")
    _el(head, "ProzessID", process_id)
    _code(head, "Nachrichtentyp", CODELIST_MESSAGE, "2.0", "0402")
    _el(head, "Erstellungszeitpunkt", datetime.now(UTC).isoformat(timespec="seconds"))
    _el(_el(_el(head, "Absender"), "Institution"), "Name", "E-Akte (Referenzempfänger)")
    _el(_el(_el(head, "Empfaenger"), "Institution"), "Name", "EfA-Marktplatz")
    for sgo in source.iterfind(
        f"{{{NS}}}Schriftgutobjekt/*/{{{NS}}}Identifikation/{{{NS}}}ID"
    ):
        answer = _el(root, "AbgegebenesObjekt")
        _el(answer, "IDSGO", sgo.text)
        _el(answer, "Erfolgreich", "false" if error else "true")
        if error:
            _el(answer, "Fehlermeldung", error)
    validate_message(root, IMPORT, "0402")
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


class ImportResult(msgspec.Struct, kw_only=True, frozen=True):
    process_id: str
    created_at: datetime
    success: bool
    errors: tuple[str, ...]


def read_import_confirmation(content: bytes) -> ImportResult:
    """Sender side: parse and validate an 0402; ``XdomeaError`` if it is not one."""
    try:
        root = etree.fromstring(content, _PARSER)
    except etree.XMLSyntaxError as exc:
        raise XdomeaError(f"Antwort ist kein XML: {exc}") from None
    validate_message(root, IMPORT, "0402")
    answers = root.findall(f"{{{NS}}}AbgegebenesObjekt")
    success = all(a.findtext(f"{{{NS}}}Erfolgreich") in ("true", "1") for a in answers)
    errors = tuple(e.text or "" for e in root.iter(f"{{{NS}}}Fehlermeldung"))
    return ImportResult(
        process_id=root.findtext(f"{{{NS}}}Kopf/{{{NS}}}ProzessID") or "",
        created_at=datetime.fromisoformat(
            root.findtext(f"{{{NS}}}Kopf/{{{NS}}}Erstellungszeitpunkt") or ""
        ),
        success=success,
        errors=errors,
    )


def digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()
