"""xdomea 0401/0402 messages: built valid, and every broken rule is named."""

from __future__ import annotations

import io
import zipfile

import pytest
from lxml import etree

from connectors.xdomea.message import (
    ABGABE,
    build_abgabe,
    build_import_confirmation,
    read_import_confirmation,
    unpack_abgabe,
)
from connectors.xdomea.rules import NS, XdomeaError, validate_message
from tests.connectors import samples


def _root(content: bytes) -> etree._Element:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        xml = next(n for n in archive.namelist() if n.endswith(".xml"))
        return etree.fromstring(archive.read(xml))


def _repack(
    packed_name: str,
    content: bytes,
    root: etree._Element,
    extra: dict[str, bytes] | None = None,
    drop: str = "",
) -> bytes:
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(content)) as source,
        zipfile.ZipFile(buffer, "w") as target,
    ):
        for name in source.namelist():
            if name == drop:
                continue
            data = etree.tostring(root) if name.endswith(".xml") else source.read(name)
            target.writestr(name, data)
        for name, data in (extra or {}).items():
            target.writestr(name, data)
    return buffer.getvalue()


def test_built_message_is_valid_and_round_trips() -> None:
    """GIVEN a scanned submission with two documents WHEN packed as 0401
    THEN the container is named by ProzessID, validates, and unpacks to the same files."""
    item = samples.submission("x", channel="paper", documents=2)
    packed = build_abgabe(item)
    assert packed.filename == f"{packed.process_id}_{ABGABE}.zip"
    message = unpack_abgabe(packed.filename, packed.content, 10_000_000)
    assert sorted(message.files.values()) == sorted(d.content for d in item.documents)
    assert message.fields["Idempotenzschluessel"] == item.idempotency_key
    root = etree.fromstring(message.root_xml)
    notes = [
        f.findtext(f"{{{NS}}}Wert")
        for f in root.iter(f"{{{NS}}}Feld")
        if f.findtext(f"{{{NS}}}Name") == "Transfervermerk.Geraet"
    ]
    assert notes == ["Poststelle Pi 3 / SANE test"] * 2


def test_same_submission_packs_to_the_same_ids() -> None:
    """GIVEN one submission WHEN packed twice THEN ProzessID and object IDs are equal."""
    item = samples.submission("x")
    first, second = build_abgabe(item), build_abgabe(item)
    assert first.process_id == second.process_id
    ids = [
        [e.text for e in _root(p.content).iter(f"{{{NS}}}ID")] for p in (first, second)
    ]
    assert ids[0] == ids[1]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("swap_order", "nicht erlaubt"),
        ("drop_id", "Pflichtelement ID fehlt"),
        ("bad_uuid", "keine UUID"),
        ("foreign_namespace", "nicht im xdomea-Namensraum"),
        ("import_false", "fester Wert 1"),
        ("no_other_name", "SonstigerName"),
        ("wrong_type", "Nachrichtentyp 0401"),
    ],
)
def test_broken_rules_are_named(change: str, message: str) -> None:
    """GIVEN a valid 0401 WHEN one rule of the standard is broken
    THEN validation fails naming the rule."""
    root = _root(build_abgabe(samples.submission("x")).content)
    head = root.find(f"{{{NS}}}Kopf")
    assert head is not None
    if change == "swap_order":
        head.insert(0, head[2])
    elif change == "drop_id":
        ident = root.find(f".//{{{NS}}}Vorgang/{{{NS}}}Identifikation")
        assert ident is not None
        ident.remove(ident[0])
    elif change == "bad_uuid":
        head[0].text = "not-a-uuid"
    elif change == "foreign_namespace":
        etree.SubElement(head, "{urn:example}Fremd")
    elif change == "import_false":
        head.find(f"{{{NS}}}Importbestaetigung").text = "false"  # type: ignore[union-attr]
    elif change == "no_other_name":
        other = root.find(f".//{{{NS}}}SonstigerName")
        assert other is not None
        other.getparent().remove(other)  # type: ignore[union-attr]
    else:
        head.find(f"{{{NS}}}Nachrichtentyp/code").text = "0403"  # type: ignore[union-attr]
    with pytest.raises(XdomeaError, match=message):
        validate_message(root, ABGABE, "0401")


def test_container_rules() -> None:
    """GIVEN a valid container WHEN a file is missing, a stray file is added,
    the name is wrong or an entity is smuggled in THEN each is refused."""
    packed = build_abgabe(samples.submission("x"))
    root = _root(packed.content)
    pdf = next(
        n
        for n in zipfile.ZipFile(io.BytesIO(packed.content)).namelist()
        if n.endswith(".pdf")
    )
    missing = _repack(packed.filename, packed.content, root, drop=pdf)
    with pytest.raises(XdomeaError, match="Primärdokument fehlt"):
        unpack_abgabe(packed.filename, missing, 10_000_000)
    stray = _repack(packed.filename, packed.content, root, extra={"virus.exe": b"MZ"})
    with pytest.raises(XdomeaError, match="Nicht referenzierte"):
        unpack_abgabe(packed.filename, stray, 10_000_000)
    with pytest.raises(XdomeaError, match="Containername"):
        unpack_abgabe("nachricht.zip", packed.content, 10_000_000)
    with pytest.raises(XdomeaError, match="kein ZIP"):
        unpack_abgabe(packed.filename, b"PK-not-really", 10_000_000)
    with pytest.raises(XdomeaError, match="größer"):
        unpack_abgabe(packed.filename, packed.content, 100)


def test_import_confirmation_success_and_failure() -> None:
    """GIVEN an unpacked 0401 WHEN the receiver confirms or refuses
    THEN the 0402 validates and reads back as success or with the Fehlermeldung."""
    packed = build_abgabe(samples.submission("x"))
    message = unpack_abgabe(packed.filename, packed.content, 10_000_000)
    ok = read_import_confirmation(
        build_import_confirmation(message.process_id, message.root_xml, None)
    )
    assert ok.success
    assert ok.process_id == packed.process_id
    bad = read_import_confirmation(
        build_import_confirmation(message.process_id, message.root_xml, "Akte gesperrt")
    )
    assert not bad.success
    assert bad.errors == ("Akte gesperrt",)
    with pytest.raises(XdomeaError):
        read_import_confirmation(b"<html>Fehler</html>")
