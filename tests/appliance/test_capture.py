"""Capture from files: every page hashed and logged, bad input rejected in German with
nothing half-written, the rest of the batch going on."""

from __future__ import annotations

import hashlib
from pathlib import Path

import img2pdf
import numpy as np
import pikepdf
import pytest
from PIL import Image

from appliance.capture import capture_files
from appliance.scanlog import verify_chain
from tests.appliance.conftest import MakeJob
from tests.appliance.letters import blank_file, letter_file


def _bad_inputs(folder: Path) -> dict[str, Path]:
    good = letter_file(folder, 1)
    data = good.read_bytes()
    truncated = folder / "letter-truncated.png"
    truncated.write_bytes(data[: len(data) // 2])
    garbage = folder / "not-an-image.png"
    garbage.write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 100)
    empty = folder / "empty-0-bytes.png"
    empty.write_bytes(b"")
    empty_pdf = folder / "no-pages.pdf"
    pikepdf.new().save(empty_pdf)
    encrypted = folder / "encrypted.pdf"
    with pikepdf.open(folder / _pdf_of(good, folder)) as pdf:
        pdf.save(
            encrypted, encryption=pikepdf.Encryption(user="geheim", owner="geheim")
        )
    huge = folder / "huge-13000x13000.png"
    Image.new("1", (13000, 13000), 1).save(huge)
    return {
        "truncated": truncated,
        "garbage": garbage,
        "empty": empty,
        "empty_pdf": empty_pdf,
        "encrypted": encrypted,
        "huge": huge,
        "missing": folder / "does-not-exist.png",
    }


def _pdf_of(image: Path, folder: Path) -> str:
    name = image.stem + ".pdf"
    (folder / name).write_bytes(img2pdf.convert(str(image)))
    return name


def test_bad_inputs_are_rejected_in_german_and_the_batch_goes_on(
    tmp_path: Path, make_job: MakeJob
) -> None:
    """GIVEN a batch mixing two good letters with seven kinds of bad input
    WHEN it is captured
    THEN the good pages are captured, each bad file is rejected with a German message,
    and no file of a rejected input is left in the work folder."""
    bad = _bad_inputs(tmp_path)
    good = [letter_file(tmp_path, 2), blank_file(tmp_path, 3)]
    job = make_job()
    pages, rejected = capture_files([good[0], *bad.values(), good[1]], job)

    assert [p.source for p in pages] == [good[0].name, good[1].name]
    assert [p.number for p in pages] == [1, 2]
    assert {r.source for r in rejected} == {str(p) for p in bad.values()}
    messages = {Path(r.source).name: r.message for r in rejected}
    assert (
        "abgeschnitten" in messages["letter-truncated.png"]
        or "unvollständig" in messages["letter-truncated.png"]
    )
    assert "verschlüsselt" in messages["encrypted.pdf"]
    assert "keine Seiten" in messages["no-pages.pdf"]
    assert "zu groß" in messages["huge-13000x13000.png"]
    assert "leer" in messages["empty-0-bytes.png"]
    assert "not-an-image.png" in messages["not-an-image.png"]
    assert "gibt es nicht" in messages["does-not-exist.png"]
    assert sorted(f.name for f in job.work_dir.iterdir()) == [
        "0001_raw.png",
        "0002_raw.png",
    ]


def test_every_captured_page_is_hashed_and_chained_in_the_scan_log(
    tmp_path: Path, make_job: MakeJob
) -> None:
    """GIVEN two letters and a corrupt file
    WHEN they are captured
    THEN the scan log holds one entry per page with the SHA-256 of the raw file and one
    for the rejected input, and the hash chain is intact."""
    files = [
        letter_file(tmp_path, 4),
        tmp_path / "corrupt.jpg",
        letter_file(tmp_path, 5),
    ]
    files[1].write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    job = make_job()
    pages, _ = capture_files(files, job)

    entries = job.scan_log.entries()
    assert [e.kind for e in entries] == [
        "page_captured",
        "input_rejected",
        "page_captured",
    ]
    for page, source in zip(pages, [files[0], files[2]], strict=True):
        assert page.raw_sha256 == hashlib.sha256(source.read_bytes()).hexdigest()
    assert [e.data.get("sha256") for e in entries if e.kind == "page_captured"] == [
        p.raw_sha256 for p in pages
    ]
    assert verify_chain(job.scan_log.path) == []


def test_multi_page_tiff_and_pdf_become_one_page_each(
    tmp_path: Path, make_job: MakeJob
) -> None:
    """GIVEN a three-page TIFF and a two-page PDF
    WHEN they are captured
    THEN five pages result, numbered in order, each with its own hash."""
    frames = [Image.open(letter_file(tmp_path, seed)) for seed in (6, 7, 8)]
    tiff = tmp_path / "three-pages.tif"
    frames[0].save(tiff, save_all=True, append_images=frames[1:], dpi=(150, 150))
    pdf = tmp_path / "two-pages.pdf"
    pdf.write_bytes(img2pdf.convert([str(letter_file(tmp_path, s)) for s in (9, 10)]))
    job = make_job()
    pages, rejected = capture_files([tiff, pdf], job)

    assert rejected == []
    assert [p.number for p in pages] == [1, 2, 3, 4, 5]
    assert [p.source for p in pages] == [f"three-pages.tif#{i}" for i in (1, 2, 3)] + [
        "two-pages.pdf#1",
        "two-pages.pdf#2",
    ]
    assert len({p.raw_sha256 for p in pages}) == 5


@pytest.mark.parametrize(
    ("mode", "maker"),
    [
        ("1", lambda a: Image.fromarray(a > 128)),
        ("I;16", lambda a: Image.fromarray(a.astype(np.uint16) * 257)),
        ("P", lambda a: Image.fromarray(a).convert("P")),
        ("RGBA", lambda a: Image.fromarray(a).convert("RGBA")),
        ("CMYK", lambda a: Image.fromarray(a).convert("CMYK")),
    ],
)
def test_unusual_modes_and_depths_are_captured(
    tmp_path: Path, make_job: MakeJob, mode: str, maker: object
) -> None:
    """GIVEN a letter saved as 1-bit, 16-bit, palette, RGBA or CMYK
    WHEN it is captured
    THEN it yields one page and no rejection."""
    grey = np.asarray(Image.open(letter_file(tmp_path, 11)))
    image = maker(grey)  # type: ignore[operator]
    assert image.mode == mode
    path = (
        tmp_path
        / f"letter-{mode.replace(';', '')}.{'jpg' if mode == 'CMYK' else 'tif' if mode == 'I;16' else 'png'}"
    )
    image.save(path)
    pages, rejected = capture_files([path], make_job())
    assert rejected == []
    assert len(pages) == 1
