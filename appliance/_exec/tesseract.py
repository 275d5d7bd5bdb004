"""Wrapper for the ``tesseract`` OCR engine (Debian ``tesseract-ocr``)."""

from __future__ import annotations

import os
import re
from pathlib import Path

from appliance._exec import find, run
from appliance.errors import ToolFailed

PACKAGE = "tesseract-ocr"


def version() -> str:
    """The installed version, e.g. ``5.3.0``; the health check calls this too."""
    out = run([find("tesseract", PACKAGE), "--version"], timeout=20, what="tesseract")
    text = (out.stdout or out.stderr).decode("utf-8", "replace")
    match = re.search(r"tesseract\s+v?(\d+\.\d+(?:\.\d+)?)", text)
    if match is None:
        raise ToolFailed(f"tesseract meldet keine Version: {text[:80]!r}")
    return match.group(1)


def languages() -> set[str]:
    out = run(
        [find("tesseract", PACKAGE), "--list-langs"], timeout=20, what="tesseract"
    )
    lines = out.stdout.decode("utf-8", "replace").splitlines()
    return {line.strip() for line in lines[1:] if line.strip()}


def recognise(
    image: Path, out_base: Path, *, language: str, dpi: int, timeout: float
) -> tuple[Path, Path]:
    """OCR one page image into a text-only PDF page and a TSV with word confidences.

    Runs one tesseract process with one thread (``OMP_THREAD_LIMIT=1``): parallelism
    comes from running several pages at once. Returns ``(pdf, tsv)``.
    """
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    args = [
        find("tesseract", PACKAGE),
        str(image),
        str(out_base),
        "-l",
        language,
        "--dpi",
        str(dpi),
        "-c",
        "textonly_pdf=1",
        "pdf",
        "tsv",
    ]
    run(args, timeout=timeout, env=env, what=f"tesseract ({image.name})")
    return out_base.with_suffix(".pdf"), out_base.with_suffix(".tsv")


def orientation(image: Path, *, timeout: float) -> tuple[int, float]:
    """Tesseract's orientation detection: ``(degrees to rotate clockwise, confidence)``.

    Pages with too little text report ``(0, 0.0)`` rather than an error.
    """
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    args = [find("tesseract", PACKAGE), str(image), "-", "--psm", "0", "-l", "osd"]
    try:
        out = run(args, timeout=timeout, env=env, what="tesseract (Ausrichtung)")
    except ToolFailed:
        return 0, 0.0
    text = out.stdout.decode("utf-8", "replace")
    rotate = re.search(r"Rotate:\s+(\d+)", text)
    confidence = re.search(r"Orientation confidence:\s+([\d.]+)", text)
    if rotate is None or confidence is None:
        return 0, 0.0
    return int(rotate.group(1)), float(confidence.group(1))


def read_block(
    image: Path, *, language: str, dpi: int, alphabet: str, timeout: float
) -> str:
    """The text of one uniform block (``--psm 6``), only characters of
    ``alphabet``: a narrow second pass over a machine-readable zone."""
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    args = [
        find("tesseract", PACKAGE),
        str(image),
        "-",
        "-l",
        language,
        "--psm",
        "6",
        "--dpi",
        str(dpi),
        "-c",
        f"tessedit_char_whitelist={alphabet}",
    ]
    out = run(args, timeout=timeout, env=env, what=f"tesseract ({image.name})")
    return out.stdout.decode("utf-8", "replace")
