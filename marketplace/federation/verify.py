"""Checking a page of a peer's feed, as pure rules (no I/O).

Every entry must be signed by the peer's configured key, name the peer as its
node, fit the size limit, and continue the sequence: numbers at or below the
cursor are replays (unless they fill a recorded gap), a number at or below one
already seen on the page is out of order, and numbers skipped over become gaps
that are fetched again one by one. An entry that fails is rejected on its own;
the valid entries around it are still applied.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import msgspec

from marketplace.federation.keys import BadSignature, open_signed
from marketplace.federation.schemas import FeedEntry, FeedHead, Signed

MAX_ENTRY_BYTES = 256 * 1024


@dataclass(frozen=True)
class Rejection:
    kind: str  # forged, malformed, oversized, wrong_node, replay, out_of_order
    seq: int | None
    detail: str


@dataclass
class Verdict:
    """What to apply, what to report, and the new cursor and gaps."""

    accepted: list[FeedEntry] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    new_gaps: list[int] = field(default_factory=list)
    filled: list[int] = field(default_factory=list)
    cursor: int = 0
    received: int = 0  # entries on the page


def check_head(signed: Signed, peer: str, public_key: str) -> FeedHead | Rejection:
    try:
        head = open_signed(signed, public_key, FeedHead)
    except BadSignature:
        return Rejection("forged", None, "Die Signatur des Feed-Kopfs ist ungültig.")
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return Rejection("malformed", None, f"Feed-Kopf nicht lesbar: {exc}")
    if head.node != peer:
        return Rejection(
            "wrong_node", None, f"Der Feed-Kopf nennt den Knoten „{head.node}“."
        )
    return head


def _open(signed: Signed, peer: str, public_key: str) -> FeedEntry | Rejection:
    if len(signed.body) > MAX_ENTRY_BYTES:
        return Rejection(
            "oversized",
            None,
            f"Eintrag mit {len(signed.body)} Bytes (höchstens {MAX_ENTRY_BYTES}).",
        )
    try:
        entry: FeedEntry = open_signed(signed, public_key, FeedEntry)  # type: ignore[arg-type]
    except BadSignature:
        return Rejection("forged", _claimed_seq(signed.body), "Signatur ungültig.")
    except (msgspec.DecodeError, msgspec.ValidationError) as exc:
        return Rejection("malformed", None, f"Eintrag nicht lesbar: {exc}")
    if entry.node != peer:
        return Rejection(
            "wrong_node", entry.seq, f"Der Eintrag nennt den Knoten „{entry.node}“."
        )
    return entry


class _Claim(msgspec.Struct):
    seq: int | None = None


def _claimed_seq(body: bytes) -> int | None:
    """The number a forged entry claims, for the report only."""
    try:
        return msgspec.json.decode(body, type=_Claim).seq
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None


def check_entries(
    entries: list[Signed],
    *,
    peer: str,
    public_key: str,
    cursor: int,
    gaps: set[int],
) -> Verdict:
    verdict = Verdict(cursor=cursor, received=len(entries))
    last_seen = -1
    for signed in entries:
        opened = _open(signed, peer, public_key)
        if isinstance(opened, Rejection):
            verdict.rejected.append(opened)
            continue
        seq = opened.seq
        if seq <= last_seen:
            verdict.rejected.append(
                Rejection("out_of_order", seq, f"{seq} folgt auf {last_seen}.")
            )
            continue
        last_seen = seq
        if seq <= cursor:
            if seq in gaps and seq not in verdict.filled:
                verdict.filled.append(seq)
                verdict.accepted.append(opened)
            else:
                verdict.rejected.append(
                    Rejection("replay", seq, f"{seq} ist bereits übernommen.")
                )
            continue
        verdict.new_gaps.extend(range(verdict.cursor + 1, seq))
        verdict.cursor = seq
        verdict.accepted.append(opened)
    return verdict
