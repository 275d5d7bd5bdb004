"""PDF stage: one PDF/A-3b per document with the archived page images, tesseract's
invisible text layer over each, the Transfervermerk as XMP properties and as an
attached file (``AFRelationship /Data``), and an sRGB output intent.

Images are embedded as captured and cleaned (JPEG, PNG or CCITT G4 bytes, never
re-encoded). ``page_digest`` is what the Transfervermerk signs for each page; it is
computed on the finished page objects, and ``appliance verify`` recomputes it.
"""

from __future__ import annotations

import hashlib
import io
from datetime import UTC, datetime
from pathlib import Path
from xml.sax.saxutils import escape

import img2pdf
import pikepdf
from PIL import ImageCms

from appliance import transfer
from appliance.pages import Document

PRODUCER = "efa-stack appliance 0.1.0"
TV_NAMESPACE = "urn:efa-stack:ns:transfervermerk:1/"
TV_PROPERTIES = {
    "Appliance": "Kennung des Scangeräts",
    "Operator": "Scannende Person",
    "CapturedAt": "Zeitpunkt der Erfassung",
    "Profile": "Scanprofil",
    "QualityCheck": "Ergebnis der Qualitätskontrolle",
    "NoteSha256": "SHA-256 des angehängten Transfervermerks",
    "PublicKey": "Öffentlicher Ed25519-Schlüssel des Scangeräts",
    "Signature": "Ed25519-Signatur des Transfervermerks",
}


def image_pdf(document: Document) -> pikepdf.Pdf:
    """The document's pages as images with their text layers, not yet archival."""
    data = img2pdf.convert([page.archive_path for page in document.pages])
    pdf = pikepdf.open(io.BytesIO(data))
    for target, page in zip(pdf.pages, document.pages, strict=True):
        if page.text_layer_path:
            with pikepdf.open(page.text_layer_path) as text_pdf:
                form = pdf.copy_foreign(text_pdf.pages[0].as_form_xobject())
                target.add_overlay(form, pikepdf.Rectangle(*target.mediabox))
    return pdf


def page_digest(page: pikepdf.Page) -> str:
    """SHA-256 over what a reader sees of a page: its content streams and text layer
    (decoded, so recompression does not matter), its image bytes as embedded, and its
    media box."""
    digest = hashlib.sha256(repr([float(v) for v in page.mediabox]).encode())
    contents = page.obj.get("/Contents")
    streams = list(contents) if isinstance(contents, pikepdf.Array) else [contents]
    for stream in streams:
        if isinstance(stream, pikepdf.Stream):
            digest.update(stream.read_bytes())
    xobjects = page.obj.get("/Resources", pikepdf.Dictionary()).get(
        "/XObject", pikepdf.Dictionary()
    )
    for name in sorted(xobjects.keys()):
        xobject = xobjects[name]
        digest.update(name.encode())
        if xobject.get("/Subtype") == pikepdf.Name.Image:
            digest.update(xobject.read_raw_bytes())  # JPEG/CCITT/PNG bytes as embedded
        else:
            digest.update(xobject.read_bytes())  # the text layer, however compressed
    return digest.hexdigest()


def finish_pdfa(
    pdf: pikepdf.Pdf, note: transfer.Transfervermerk, title: str, path: Path
) -> None:
    """Attach and describe the note, make the file PDF/A-3b, write it atomically."""
    note_bytes = transfer.encode(note)
    spec = pikepdf.AttachedFileSpec(
        pdf,
        note_bytes,
        description="Transfervermerk (BSI TR-03138)",
        filename=transfer.NOTE_FILENAME,
        mime_type="application/json",
        creation_date="",
        mod_date="",
    )
    spec.relationship = pikepdf.Name.Data
    pdf.attachments[transfer.NOTE_FILENAME] = spec
    names = pdf.Root.Names.EmbeddedFiles.Names
    pdf.Root.AF = pikepdf.Array([names[i + 1] for i in range(0, len(names), 2)])
    pdf.Root.OutputIntents = pikepdf.Array([_output_intent(pdf)])
    xmp = _xmp(note, title, hashlib.sha256(note_bytes).hexdigest())
    pdf.Root.Metadata = pikepdf.Stream(
        pdf, xmp.encode("utf-8"), Type=pikepdf.Name.Metadata, Subtype=pikepdf.Name.XML
    )
    if "/Info" in pdf.trailer:
        del pdf.trailer["/Info"]
    tmp = path.with_name(path.name + ".part")
    try:
        pdf.save(tmp, fix_metadata_version=False, deterministic_id=True)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _output_intent(pdf: pikepdf.Pdf) -> pikepdf.Dictionary:
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    profile = pikepdf.Stream(pdf, icc, N=3)
    return pikepdf.Dictionary(
        Type=pikepdf.Name.OutputIntent,
        S=pikepdf.Name.GTS_PDFA1,
        OutputConditionIdentifier=pikepdf.String("sRGB"),
        Info=pikepdf.String("sRGB IEC61966-2.1"),
        DestOutputProfile=profile,
    )


def _xmp(note: transfer.Transfervermerk, title: str, note_sha256: str) -> str:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    values = {
        "Appliance": note.appliance_id,
        "Operator": note.operator,
        "CapturedAt": note.captured_at,
        "Profile": note.profile.name,
        "QualityCheck": note.quality_check.result,
        "NoteSha256": note_sha256,
        "PublicKey": note.public_key,
        "Signature": note.signature,
    }
    props = "\n".join(f"   <tv:{k}>{escape(v)}</tv:{k}>" for k, v in values.items())
    schema = "\n".join(
        '       <rdf:li rdf:parseType="Resource">'
        f"<pdfaProperty:name>{k}</pdfaProperty:name>"
        "<pdfaProperty:valueType>Text</pdfaProperty:valueType>"
        "<pdfaProperty:category>external</pdfaProperty:category>"
        f"<pdfaProperty:description>{escape(d)}</pdfaProperty:description></rdf:li>"
        for k, d in TV_PROPERTIES.items()
    )
    return f"""<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>
<x:xmpmeta xmlns:x="adobe:ns:meta/">
 <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
  <rdf:Description rdf:about=""
    xmlns:pdfaid="http://www.aiim.org/pdfa/ns/id/"
    xmlns:dc="http://purl.org/dc/elements/1.1/"
    xmlns:xmp="http://ns.adobe.com/xap/1.0/"
    xmlns:pdf="http://ns.adobe.com/pdf/1.3/"
    xmlns:tv="{TV_NAMESPACE}"
    xmlns:pdfaExtension="http://www.aiim.org/pdfa/ns/extension/"
    xmlns:pdfaSchema="http://www.aiim.org/pdfa/ns/schema#"
    xmlns:pdfaProperty="http://www.aiim.org/pdfa/ns/property#">
   <pdfaid:part>3</pdfaid:part>
   <pdfaid:conformance>B</pdfaid:conformance>
   <dc:format>application/pdf</dc:format>
   <dc:title><rdf:Alt><rdf:li xml:lang="x-default">{escape(title)}</rdf:li></rdf:Alt></dc:title>
   <xmp:CreateDate>{now}</xmp:CreateDate>
   <xmp:ModifyDate>{now}</xmp:ModifyDate>
   <xmp:MetadataDate>{now}</xmp:MetadataDate>
   <xmp:CreatorTool>{PRODUCER}</xmp:CreatorTool>
   <pdf:Producer>{PRODUCER}</pdf:Producer>
{props}
   <pdfaExtension:schemas>
    <rdf:Bag>
     <rdf:li rdf:parseType="Resource">
      <pdfaSchema:schema>Transfervermerk nach BSI TR-03138</pdfaSchema:schema>
      <pdfaSchema:namespaceURI>{TV_NAMESPACE}</pdfaSchema:namespaceURI>
      <pdfaSchema:prefix>tv</pdfaSchema:prefix>
      <pdfaSchema:property>
       <rdf:Seq>
{schema}
       </rdf:Seq>
      </pdfaSchema:property>
     </rdf:li>
    </rdf:Bag>
   </pdfaExtension:schemas>
  </rdf:Description>
 </rdf:RDF>
</x:xmpmeta>
<?xpacket end="w"?>"""
