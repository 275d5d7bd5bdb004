"""``appliance verify``: check a document written by the appliance and say, in German,
what is wrong: a missing or altered Transfervermerk, a broken signature, a key that is
not the trusted one, pages added, removed, reordered or changed after capture."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import msgspec
import pikepdf

from appliance import integrity, transfer
from appliance.pdf import page_digest


class VerifyReport(msgspec.Struct, kw_only=True, frozen=True):
    file: str
    ok: bool
    problems: list[str]
    document_id: str | None = None
    appliance_id: str | None = None
    pages: int = 0


def verify_pdf(path: Path, trusted_key: str | None = None) -> VerifyReport:
    try:
        pdf = pikepdf.open(path)
    except (pikepdf.PdfError, OSError) as exc:
        return VerifyReport(
            file=str(path),
            ok=False,
            problems=[f"Die Datei ist keine lesbare PDF-Datei ({exc})."],
        )
    with pdf:
        return _check(pdf, path, trusted_key)


def _check(pdf: pikepdf.Pdf, path: Path, trusted_key: str | None) -> VerifyReport:
    attached = pdf.attachments.get(transfer.NOTE_FILENAME)
    if attached is None:
        return VerifyReport(
            file=str(path),
            ok=False,
            problems=["Der Transfervermerk fehlt."],
            pages=len(pdf.pages),
        )
    data = attached.get_file().read_bytes()
    try:
        note = transfer.decode(data)
    except msgspec.DecodeError:
        return VerifyReport(
            file=str(path),
            ok=False,
            problems=["Der Transfervermerk ist unlesbar."],
            pages=len(pdf.pages),
        )
    problems = _signature_problems(note, trusted_key)
    problems += _xmp_problems(pdf, hashlib.sha256(data).hexdigest())
    problems += _page_problems(pdf, note)
    return VerifyReport(
        file=str(path),
        ok=not problems,
        problems=problems,
        document_id=note.document_id,
        appliance_id=note.appliance_id,
        pages=len(pdf.pages),
    )


def _signature_problems(
    note: transfer.Transfervermerk, trusted_key: str | None
) -> list[str]:
    problems = []
    if not integrity.signature_valid(
        note.public_key, transfer.signed_bytes(note), note.signature
    ):
        problems.append(
            "Die Signatur des Transfervermerks ist ungültig: der Vermerk wurde verändert."
        )
    if trusted_key is not None and trusted_key != note.public_key:
        problems.append(
            "Das Dokument wurde nicht mit dem vertrauenswürdigen Schlüssel signiert."
        )
    return problems


def _xmp_problems(pdf: pikepdf.Pdf, note_sha256: str) -> list[str]:
    if "/Metadata" not in pdf.Root:
        return ["Die XMP-Metadaten fehlen."]
    xmp = pdf.Root.Metadata.read_bytes().decode("utf-8", "replace")
    problems = []
    if not re.search(r"<pdfaid:part>[23]</pdfaid:part>", xmp):
        problems.append("Die Datei ist nicht als PDF/A gekennzeichnet.")
    found = re.search(r"<tv:NoteSha256>([0-9a-f]{64})</tv:NoteSha256>", xmp)
    if found is None or found.group(1) != note_sha256:
        problems.append(
            "Der Transfervermerk in den XMP-Metadaten passt nicht zum angehängten Vermerk."
        )
    return problems


def _page_problems(pdf: pikepdf.Pdf, note: transfer.Transfervermerk) -> list[str]:
    expected = [record.content_sha256 for record in note.pages]
    actual = [page_digest(page) for page in pdf.pages]
    problems = []
    if len(actual) != len(expected):
        problems.append(
            f"Das Dokument hat {len(actual)} Seiten, erfasst wurden {len(expected)}."
        )
    for number, digest in enumerate(actual, start=1):
        if number <= len(expected) and digest == expected[number - 1]:
            continue
        if digest in expected:
            problems.append(
                f"Seite {number} stand bei der Erfassung an Stelle {expected.index(digest) + 1}."
            )
        else:
            problems.append(
                f"Seite {number} wurde nach der Erfassung verändert oder hinzugefügt."
            )
    return problems
