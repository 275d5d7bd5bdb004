"""Sample mail: a realistic mailroom batch with its ground truth, generated.

``generate(out, seed=..., dpi=..., pages=...)`` writes one PNG per scanned sheet
(``0001-meldebescheinigung-letter.png`` ...), ``ground-truth.json`` and
``rules.toml`` (routing rules that fit). The batch holds German letters and city
forms sent back with a QR or Code 128 routing code, separator sheets (Trennblatt
with Code 128 and PATCH T, or PATCH T alone), a blank backside, a letter with an
ID-card copy (TD1 zone with valid check digits, the specimen "ERIKA
MUSTERMANN"), a letter on the negative list and one no rule fits. The same seed
gives the same bytes. Used by the demo, the tests and the benchmarks.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

from appliance import samples
from appliance.model import BarcodeFormat
from appliance.sample_mail.content import TEMPLATES, PageSpec, Template
from appliance.sample_mail.render import draw_page, td1
from appliance.sample_mail.rules import RULES_TOML
from appliance.sample_mail.truth import DocumentTruth, GroundTruth, PageTruth, encode

TRUTH_FILE = "ground-truth.json"
RULES_FILE = "rules.toml"
SEPARATOR_CODE = samples.Code(BarcodeFormat.CODE128, "TRENNBLATT")

__all__ = ["RULES_FILE", "TRUTH_FILE", "generate", "plan"]


def plan(*, pages: int = 0) -> Iterator[tuple[int, Template]]:
    """Documents in batch order (cycle number, template) until at least ``pages``
    sheets are planned; at least every template once."""
    planned, cycle = 0, 0
    while cycle == 0 or planned < pages:
        for template in TEMPLATES:
            yield cycle, template
            planned += len(template.pages) + 1
            if cycle > 0 and planned >= pages:
                return
        cycle += 1


def generate(
    out: Path, *, seed: int = 1, dpi: int = 150, pages: int = 0
) -> GroundTruth:
    """Write the batch into ``out`` (created) and return its ground truth."""
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    sheets: list[PageTruth] = []
    documents: list[DocumentTruth] = []
    for number, (cycle, template) in enumerate(plan(pages=pages), start=1):
        if sheets:
            sheets.append(_separator(out, len(sheets) + 1, dpi, rng))
        doc_id = f"{number:03d}-{template.name}"
        first = len(sheets) + 1
        for spec in template.pages:
            page_seed = rng.randrange(2**31)
            sheets.append(
                _sheet(out, len(sheets) + 1, doc_id, template, spec, dpi, page_seed)
            )
        documents.append(_document(doc_id, template, first, cycle))
    truth = GroundTruth(
        seed=seed, dpi=dpi, rules_file=RULES_FILE, pages=sheets, documents=documents
    )
    (out / RULES_FILE).write_text(RULES_TOML, encoding="utf-8")
    (out / TRUTH_FILE).write_bytes(encode(truth))
    return truth


def _sheet(
    out: Path,
    number: int,
    doc_id: str,
    template: Template,
    spec: PageSpec,
    dpi: int,
    seed: int,
) -> PageTruth:
    clean = draw_page(template, spec, dpi, seed)
    skew = round(random.Random(seed).uniform(-1.5, 1.5), 2)  # noqa: S311
    name = f"{number:04d}-{template.name}-{spec.kind}.png"
    samples.save(samples.scan(clean, seed, skew=skew, noise=4.0), out / name, dpi)
    expected = template.expected
    codes = [samples.Code(*spec.code)] if spec.code else []
    return PageTruth(
        number=number,
        file=name,
        kind=spec.kind,
        document=doc_id,
        barcodes=codes,
        blank=spec.kind == "blank",
        id_copy=spec.kind == "id_copy",
        negative_list=expected.keep_original,
        office=expected.office,
        leika_key=expected.leika_key,
        route=expected.route,
        text_excerpt=_excerpt(spec),
    )


def _separator(out: Path, number: int, dpi: int, rng: random.Random) -> PageTruth:
    with_code = number % 2 == 0
    page, _ = samples.separator_sheet(dpi, patch=True, code=with_code)
    seed = rng.randrange(2**31)
    name = f"{number:04d}-trennblatt.png"
    samples.save(samples.scan(page, seed, skew=0.6, noise=4.0), out / name, dpi)
    codes = [SEPARATOR_CODE] if with_code else []
    codes.append(samples.Code(BarcodeFormat.PATCH_T, "PATCH-T"))
    return PageTruth(
        number=number,
        file=name,
        kind="separator",
        document=None,
        barcodes=codes,
        separator=True,
        text_excerpt="TRENNBLATT",
    )


def _document(doc_id: str, template: Template, first: int, cycle: int) -> DocumentTruth:
    expected = template.expected
    numbers = list(range(first, first + len(template.pages)))
    return DocumentTruth(
        id=doc_id,
        template=template.name,
        title=template.title if cycle == 0 else f"{template.title} ({cycle + 1})",
        pages=numbers,
        content_pages=sum(spec.kind != "blank" for spec in template.pages),
        office=expected.office,
        leika_key=expected.leika_key,
        route=expected.route,
        method=expected.method,
        needs_review=expected.needs_review,
        keep_original=expected.keep_original,
        id_copy=expected.id_copy,
    )


def _excerpt(spec: PageSpec) -> str:
    if spec.kind == "id_copy":
        return "PERSONALAUSWEIS MUSTERMANN ERIKA " + " ".join(td1())
    parts = [spec.title, *spec.body, *(f"{k}: {v}" for k, v in spec.fields)]
    return " ".join(p for p in parts if p)[:160]
