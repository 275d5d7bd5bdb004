"""Real PDF documents for intake and outbox tests, made with Pillow and img2pdf."""

from __future__ import annotations

import base64
import hashlib
import io

import img2pdf
from PIL import Image, ImageDraw


def letter_pdf(number: int, *, pages: int = 1) -> bytes:
    """A small, valid PDF whose bytes differ for every ``number``."""
    images = []
    for page in range(pages):
        image = Image.new("L", (320, 452), 255)
        draw = ImageDraw.Draw(image)
        draw.text((20, 20), f"Schreiben Nr. {number}, Seite {page + 1}", fill=0)
        draw.rectangle((20, 60, 20 + number % 200, 70), fill=0)
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        images.append(buffer.getvalue())
    pdf: bytes = img2pdf.convert(images)
    return pdf


def sha256(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def body(content: bytes, **metadata: object) -> dict[str, object]:
    """The JSON body of ``PUT /api/v1/intake/documents/{sha256}``."""
    meta: dict[str, object] = {
        "appliance_id": "scanstation-1",
        "filename": "Schreiben.pdf",
        "page_count": 1,
        "office": "ordnungsamt",
        "route": "dms:posteingang-32",
        **metadata,
    }
    return {"metadata": meta, "content": base64.b64encode(content).decode()}
