"""An ID card copy in the mail goes through the real pipeline (cleanup, zxing-cpp,
tesseract): its machine-readable zone is found, the document is marked as a copy
everywhere and waits for a person even when a routing code says otherwise."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pikepdf

from appliance import transfer
from appliance.eid.idcopy import COPY_MARK
from appliance.pipeline import run_batch
from appliance.routing import load_rules, route
from appliance.sidecar import Sidecar
from appliance.verify import verify_pdf

from .conftest import MakeJob
from .idcard import save_id_copy

RULES = """
threshold = 0.75

[[offices]]
id = "buergeramt"
name = "Bürgeramt"
route = "dms:posteingang-33"

[[barcode]]
pattern = "^ROUTE-BA$"
office = "buergeramt"
confidence = 0.99
"""


def test_an_id_copy_is_marked_and_never_routed_automatically(
    make_job: MakeJob, tmp_path: Path
) -> None:
    """GIVEN a scanned letter with a copy of both sides of an ID card (TD1 zone
    with valid check digits) and a routing code that a barcode rule trusts at 99 %
    WHEN the batch runs through the pipeline with those rules
    THEN the decision is an ID copy that needs a person and has no route; the
    sidecar says "Kopie eines Ausweisdokuments", the signed Transfervermerk lists
    the copy as anomaly, and ``appliance verify`` accepts the PDF."""
    scan = save_id_copy(tmp_path / "ausweis.png", 150, code="ROUTE-BA")
    (tmp_path / "rules.toml").write_text(RULES, encoding="utf-8")
    rules = load_rules(tmp_path / "rules.toml")
    job = make_job(router=lambda doc: route(doc, rules))
    result = run_batch([scan], job)
    [document] = result.documents
    decision = document.decision
    assert decision.reason.startswith("Barcode „ROUTE-BA“")
    assert (decision.id_copy, decision.needs_review, decision.route) == (
        True,
        True,
        None,
    )
    assert COPY_MARK in decision.reason
    side = msgspec.json.decode(Path(document.sidecar_path).read_bytes(), type=Sidecar)
    assert side.marking == COPY_MARK
    assert [a.kind for a in side.anomalies] == ["id_copy"]
    with pikepdf.open(document.pdf_path) as pdf:
        attached = pdf.attachments[transfer.NOTE_FILENAME].get_file().read_bytes()
    note = transfer.decode(attached)
    [anomaly] = [a for a in note.anomalies if a.kind == "id_copy"]
    assert anomaly.detail == f"{COPY_MARK} (maschinenlesbare Zone TD1)"
    assert anomaly.page == 1
    assert verify_pdf(Path(document.pdf_path)).ok


def test_a_router_without_zone_check_cannot_let_a_copy_through(
    make_job: MakeJob, tmp_path: Path
) -> None:
    """GIVEN the same copy and a router that ignores machine-readable zones and
    routes everything confidently
    WHEN the batch runs
    THEN the pipeline's own check still marks it as a copy for a person."""
    from appliance.model import RoutingDecision

    def trusting(_: object) -> RoutingDecision:
        return RoutingDecision(
            office="buergeramt", route="dms:x", confidence=1.0, needs_review=False
        )

    scan = save_id_copy(tmp_path / "ausweis.png", 150)
    [document] = run_batch([scan], make_job(router=trusting)).documents
    assert document.decision.id_copy
    assert document.decision.needs_review
    assert document.decision.route is None
