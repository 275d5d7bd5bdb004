"""Appliance benchmark: the scanning pipeline against OCRmyPDF and raw tesseract on
the same generated letters, measured side by side in one run.

    .venv/bin/python benchmarks/appliance.py            # 24 pages, memory on 200 pages
    .venv/bin/python benchmarks/appliance.py --quick    # 8 pages, memory on that batch

1. Letters are generated at 300 dpi with ground truth (appliance.samples): German text
   in three fonts, a letterhead, a table, a stamp, skew up to 5 degrees, scanner
   noise, some with dark scanner borders or low contrast, barcodes of each kind
   (Code 128, QR, DataMatrix, PDF417; 0.3-0.5 mm modules), blank backsides with
   show-through and separator sheets (Code 128 + PATCH T).
2. The same pages go through
   - the whole pipeline: ``appliance process`` as a separate process;
   - ``ocrmypdf --output-type pdfa -l deu`` on one PDF holding the same images
     (img2pdf, no re-encoding), text taken from ``--sidecar``;
   - raw ``tesseract -l deu ... pdf`` per page, as many at once as there are cores,
     one thread each (the pipeline's own OCR set-up without anything around it).
   Wall time and CPU time (user+sys of the whole process tree, from getrusage) are
   taken for each; the machine may be shared, so both are printed.
3. Character accuracy: every ground-truth line is matched with the most similar
   output line; accuracy = 1 - edit distance / characters, over all lines.
4. Barcodes on the raw images: pyzbar alone, zxing-cpp alone, and the pipeline's
   barcode stage (zxing-cpp first, retries, pyzbar fallback, PATCH T); recall on the
   codes printed, and false positives (anything not printed on the page).
5. Peak memory: the summed proportional set size (PSS) of the pipeline's process
   tree, sampled from /proc every 50 ms, on a 200-page batch (the quick mode uses its
   own batch).

Targets (issue 3): >= 1.5 x OCRmyPDF's pages per minute with equal or better
accuracy; barcode recall >= 99 % with no false positives; overhead above raw
tesseract < 15 %; peak memory < 1 GiB for 200 pages.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

import img2pdf
import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from appliance import samples
from appliance.barcodes import PyzbarReader, ZxingReader, read_barcodes
from appliance.model import BarcodeFormat
from appliance.samples import Code, Truth

DPI = 300
KINDS = [
    BarcodeFormat.CODE128,
    BarcodeFormat.QR,
    BarcodeFormat.DATAMATRIX,
    BarcodeFormat.PDF417,
]


@dataclass
class Sample:
    path: Path
    truth: Truth


@dataclass
class Run:
    wall: float
    cpu: float
    peak_rss: int = 0


def build_pages(folder: Path, letters: int, seed: int = 7) -> list[Sample]:
    """Letters with blank backsides every third letter, a separator every fourth."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    pages: list[Sample] = []
    for index in range(letters):
        codes = [
            Code(KINDS[(index + k) % 4], f"{prefix}{rng.randint(1000, 99999)}")
            for k, prefix in enumerate(("AZ-32.1/", "ASN00"))
        ]
        page, truth = samples.letter(
            index,
            dpi=DPI,
            lines=rng.randint(6, 10),
            codes=codes,
            module_mm=rng.choice((0.3, 0.4, 0.5)),
        )
        image = samples.scan(
            page,
            index,
            skew=rng.uniform(-5, 5),
            noise=rng.uniform(4, 10),
            border_mm=rng.choice((0, 0, 6)),
            contrast=rng.choice((1.0, 1.0, 0.6)),
        )
        truth = Truth(text=truth.text, codes=truth.codes, skew=0.0)
        pages.append(_save(folder, len(pages), image, truth))
        if index % 3 == 2:
            blank = samples.scan(
                samples.blank_sheet(DPI), 1000 + index, show_through=True
            )
            pages.append(_save(folder, len(pages), blank, Truth(blank=True)))
        if index % 4 == 3 and index != letters - 1:
            sheet, sep_truth = samples.separator_sheet(DPI)
            pages.append(
                _save(
                    folder,
                    len(pages),
                    samples.scan(sheet, 2000 + index, skew=1.0),
                    sep_truth,
                )
            )
    return pages


def _save(folder: Path, number: int, image: Image.Image, truth: Truth) -> Sample:
    path = folder / f"page-{number:04d}.png"
    image.save(path, dpi=(DPI, DPI), compress_level=1)
    return Sample(path=path, truth=truth)


def timed(
    args: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    sample_memory: bool = False,
) -> Run:
    """Run a process tree to its end: wall time, CPU time, peak summed RSS."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    process = subprocess.Popen(
        args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    peak = [0]
    done = threading.Event()
    if sample_memory:
        threading.Thread(
            target=_sample_rss, args=(process.pid, peak, done), daemon=True
        ).start()
    _, stderr = process.communicate()
    done.set()
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        raise SystemExit(f"{args[0]} failed: {stderr.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Run(wall=wall, cpu=cpu, peak_rss=peak[0])


def _sample_rss(root: int, peak: list[int], done: threading.Event) -> None:
    """Peak of the tree's summed proportional set size (PSS: shared pages split
    between the processes sharing them, so forked workers are not counted twice)."""
    while not done.is_set():
        total = 0
        for pid in _tree(root):
            try:
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except OSError:
                continue
            for line in rollup.splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1]) * 1024
                    break
        peak[0] = max(peak[0], total)
        time.sleep(0.05)


def _tree(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def run_pipeline(
    pages: list[Sample], folder: Path, *, sample_memory: bool
) -> tuple[Run, dict[str, str]]:
    inbox = folder / "pipeline-in"
    inbox.mkdir(exist_ok=True)
    for sample in pages:
        target = inbox / sample.path.name
        if not target.exists():
            os.link(sample.path, target)
    out = folder / "pipeline-out"
    shutil.rmtree(out, ignore_errors=True)
    run = timed(
        [
            sys.executable,
            "-m",
            "appliance",
            "process",
            str(inbox),
            "--out",
            str(out),
            "--state",
            str(folder / "state"),
        ],
        sample_memory=sample_memory,
    )
    texts: dict[str, str] = {}
    for sidecar in out.glob("*.json"):
        for page in json.loads(sidecar.read_text())["pages"]:
            texts[page["source"]] = page["text"]
    return run, texts


def run_ocrmypdf(pages: list[Sample], folder: Path) -> tuple[Run, dict[str, str]]:
    source = folder / "ocrmypdf-in.pdf"
    source.write_bytes(img2pdf.convert([str(s.path) for s in pages]))
    sidecar = folder / "ocrmypdf.txt"
    args = [
        "ocrmypdf",
        "--output-type",
        "pdfa",
        "-l",
        "deu",
        "--sidecar",
        str(sidecar),
        "--quiet",
    ]
    ocrmypdf = shutil.which("ocrmypdf") or str(Path(sys.executable).parent / "ocrmypdf")
    run = timed([ocrmypdf, *args[1:], str(source), str(folder / "ocrmypdf-out.pdf")])
    texts = sidecar.read_text().split("\f")
    return run, {s.path.name: text for s, text in zip(pages, texts, strict=False)}


def run_tesseract(pages: list[Sample], folder: Path) -> Run:
    """Raw tesseract, one single-thread process per core, on a small driver script."""
    script = (
        "import os, subprocess, sys\n"
        "from concurrent.futures import ThreadPoolExecutor\n"
        "env = {**os.environ, 'OMP_THREAD_LIMIT': '1'}\n"
        "files, out = sys.argv[2:], sys.argv[1]\n"
        "def one(f):\n"
        "    base = os.path.join(out, os.path.basename(f))\n"
        "    subprocess.run(['tesseract', f, base, '-l', 'deu', 'pdf'], env=env, check=True, capture_output=True)\n"
        "with ThreadPoolExecutor(os.cpu_count()) as pool:\n"
        "    list(pool.map(one, files))\n"
    )
    out = folder / "tesseract-out"
    out.mkdir(exist_ok=True)
    return timed(
        [sys.executable, "-c", script, str(out), *(str(s.path) for s in pages)]
    )


def char_accuracy(pages: list[Sample], texts: dict[str, str]) -> float:
    errors = total = 0
    for sample in pages:
        if sample.truth.blank or sample.truth.separator:
            continue
        found = [
            line
            for line in texts.get(sample.path.name, "").splitlines()
            if line.strip()
        ]
        for line in sample.truth.text.splitlines():
            best = max(
                found,
                key=lambda f, line=line: SequenceMatcher(None, line, f).ratio(),
                default="",
            )
            errors += min(len(line), levenshtein(line, best))
            total += len(line)
    return 1 - errors / total if total else 0.0


def levenshtein(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb))
            )
        previous = current
    return previous[-1]


def barcode_scores(pages: list[Sample]) -> dict[str, tuple[int, int, int]]:
    """Per reader: (codes found that were printed, codes printed, false positives)."""
    readers = {
        "pyzbar alone": lambda g: {(f, t) for f, t in PyzbarReader().read(g).codes},
        "zxing-cpp alone": lambda g: {(f, t) for f, t in ZxingReader().read(g).codes},
        "pipeline stage": lambda g: {
            (b.format, b.text)
            for b in read_barcodes(g, 1, [ZxingReader(), PyzbarReader()], dpi=DPI)[0]
            if b.format is not BarcodeFormat.PATCH_T
        },
    }
    scores = {name: [0, 0, 0] for name in readers}
    for sample in pages:
        with Image.open(sample.path) as image:
            grey = np.asarray(image.convert("L"))
        printed = {(c.format, c.text) for c in sample.truth.codes}
        for name, read in readers.items():
            found = read(grey)
            scores[name][0] += len(found & printed)
            scores[name][1] += len(printed)
            scores[name][2] += len(found - printed)
    return {name: (s[0], s[1], s[2]) for name, s in scores.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="6 letters, memory on the same batch"
    )
    parser.add_argument(
        "--keep", type=Path, help="keep the generated pages and outputs here"
    )
    args = parser.parse_args(argv)
    letters, memory_pages = (6, 0) if args.quick else (18, 200)
    folder = (
        Path(tempfile.mkdtemp(prefix="appliance-bench-"))
        if args.keep is None
        else args.keep
    )
    folder.mkdir(parents=True, exist_ok=True)
    try:
        report(folder, letters, memory_pages)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


def report(folder: Path, letters: int, memory_pages: int) -> None:
    (folder / "pages").mkdir(exist_ok=True)
    pages = build_pages(folder / "pages", letters)
    n = len(pages)
    print(
        f"{n} pages at {DPI} dpi ({letters} letters, blank backsides, separators), {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}"
    )
    pipeline, pipeline_texts = run_pipeline(pages, folder, sample_memory=True)
    reference, reference_texts = run_ocrmypdf(pages, folder)
    raw = run_tesseract(pages, folder)

    print(
        "\nThroughput (same pages, one run)        wall s   pages/min   CPU s   pages/CPU-min"
    )
    for name, run in (
        ("pipeline (appliance process)", pipeline),
        ("ocrmypdf --output-type pdfa -l deu", reference),
        ("raw tesseract -l deu, 1 thread/core", raw),
    ):
        print(
            f"  {name:<37} {run.wall:7.1f}   {60 * n / run.wall:9.1f}   {run.cpu:6.1f}   {60 * n / run.cpu:13.1f}"
        )
    print(
        f"  ratio pipeline / ocrmypdf (pages per minute):      {reference.wall / pipeline.wall:5.2f} x   (target >= 1.5)"
    )
    print(
        f"  ratio pipeline / ocrmypdf (pages per CPU-minute):  {reference.cpu / pipeline.cpu:5.2f} x"
    )
    print(
        f"  pipeline overhead above raw tesseract (wall):      {100 * (pipeline.wall / raw.wall - 1):+5.1f} %  (target < 15 %)"
    )
    print(
        f"  pipeline overhead above raw tesseract (CPU):       {100 * (pipeline.cpu / raw.cpu - 1):+5.1f} %"
    )

    ours, theirs = (
        char_accuracy(pages, pipeline_texts),
        char_accuracy(pages, reference_texts),
    )
    print("\nCharacter accuracy on the letters' text (ground truth lines)")
    print(
        f"  pipeline {100 * ours:6.2f} %   ocrmypdf {100 * theirs:6.2f} %   (target: pipeline >= ocrmypdf)"
    )

    print("\nBarcodes on the raw scans (0.3-0.5 mm modules, skew up to 5 degrees)")
    for name, (hit, printed, false) in barcode_scores(pages).items():
        print(
            f"  {name:<16} recall {100 * hit / printed:6.2f} % ({hit}/{printed})   false positives {false}"
        )

    print("\nPeak memory of the pipeline's process tree (summed PSS)")
    print(f"  {n}-page batch: {pipeline.peak_rss / 2**20:7.1f} MiB")
    if memory_pages:
        big = [pages[i % n] for i in range(memory_pages)]
        many = folder / "many"
        many.mkdir(exist_ok=True)
        copies = []
        for i, sample in enumerate(big):
            target = many / f"page-{i:04d}.png"
            if not target.exists():
                os.link(sample.path, target)
            copies.append(Sample(path=target, truth=sample.truth))
        (folder / "memory").mkdir(exist_ok=True)
        run, _ = run_pipeline(copies, folder / "memory", sample_memory=True)
        print(
            f"  {memory_pages}-page batch: {run.peak_rss / 2**20:7.1f} MiB in {run.wall:.0f} s  (target < 1024 MiB)"
        )
    else:
        print("  (quick mode: no 200-page batch; run without --quick for it)")


if __name__ == "__main__":
    raise SystemExit(main())
