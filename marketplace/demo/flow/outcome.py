"""Where each sample-mail document went: the station's decision, its outbox, the
marketplace intake and the delivery jobs, with the ground truth beside it."""

from __future__ import annotations

import msgspec

from appliance.outbox import Outbox, State
from appliance.outbox.schemas import Entry
from appliance.routing import RoutingRules, load_rules
from appliance.sample_mail.truth import DocumentTruth, GroundTruth
from appliance.station.store import DocState, StationDocument, StationStore
from marketplace.demo.flow.config import FlowConfig
from marketplace.demo.flow.repository import Scanned, scanned
from marketplace.demo.mail import AGS

FINAL = ("delivered", "dead")


class Outcome(msgspec.Struct, kw_only=True, frozen=True):
    """One separated document and everything that happened to it."""

    position: int  # 1-based, in batch order
    truth: DocumentTruth | None  # None: the station separated more than planned
    office: str | None  # the office's id in the rules
    office_name: str | None
    route: str | None  # the delivery route the rules name (``fit-connect:…``)
    leika_key: str | None
    needs_review: bool
    keep_original: bool
    id_copy: bool
    reason: str  # the station's routing reason
    committed: bool
    sha256: str
    outbox: Entry | None  # the station's outbox entry, once committed
    market: Scanned | None  # the marketplace's submission, once received

    @property
    def settled(self) -> bool:
        """Nothing more will happen without a person."""
        if not self.committed:
            return True
        if self.outbox is None or self.outbox.state is State.PENDING:
            return False
        if self.outbox.state is State.DEAD:
            return True
        if self.market is None:
            return False
        return self.market.undeliverable_reason is not None or all(
            job.state in FINAL for job in self.market.jobs
        )


def outcomes(config: FlowConfig, batch_id: str, truth: GroundTruth) -> list[Outcome]:
    documents = station_documents(config, batch_id)
    outbox = Outbox(config.station / "postausgang")
    entries = {e.sha256: e for e in outbox.entries(limit=100_000)}
    market = scanned(config.db, AGS, config.database_url)
    rules = load_rules(config.station / "rules.toml")
    return [
        _outcome(
            rules,
            number,
            document,
            truth.documents[number - 1] if number <= len(truth.documents) else None,
            entries.get(document.sha256),
            market.get(document.sha256),
        )
        for number, document in enumerate(documents, start=1)
    ]


def station_documents(config: FlowConfig, batch_id: str) -> list[StationDocument]:
    store = StationStore(config.station / "daten" / "station.sqlite3")
    return [
        d for d in store.documents(batch_id=batch_id) if d.state is not DocState.DELETED
    ]


def _outcome(
    rules: RoutingRules,
    position: int,
    document: StationDocument,
    truth: DocumentTruth | None,
    entry: Entry | None,
    market: Scanned | None,
) -> Outcome:
    decision = document.decision
    office = document.office or decision.office
    known = rules.office(office) if office else None
    return Outcome(
        position=position,
        truth=truth,
        office=office,
        office_name=known.name if known else office,
        route=known.route if known else decision.route,
        leika_key=decision.leika_key,
        needs_review=decision.needs_review,
        keep_original=decision.keep_original,
        id_copy=decision.id_copy,
        reason=decision.reason,
        committed=document.state is DocState.COMMITTED,
        sha256=document.sha256,
        outbox=entry,
        market=market,
    )


def batch_pages(config: FlowConfig, batch_id: str) -> int:
    """Sheets the batch captured (for the benchmark's rate)."""
    found = StationStore(config.station / "daten" / "station.sqlite3").batch(batch_id)
    return found.pages_captured if found else 0
