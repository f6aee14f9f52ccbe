"""Feed rules: each (author, scope) is a hash-chained, append-only sequence.

Pure functions of what the caller knows about a feed; storage lives elsewhere.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from protocol.canonical import MAX_OBJECT_BYTES
from protocol.envelope import Envelope
from protocol.errors import ErrorCode, LocalProtocolError, RemoteProtocolError
from protocol.signing import open_envelope

# Two envelopes of at most MAX_OBJECT_BYTES each, and the line around them.
EVIDENCE_BYTES = 2 * MAX_OBJECT_BYTES + 64


@dataclass(frozen=True, slots=True)
class FeedHead:
    """The last envelope held of a feed: its seq and id."""

    seq: int
    id: str


class Placement(StrEnum):
    """Where a received envelope falls in its feed."""

    APPEND = "append"  # the next one: store it and advance the head
    DUPLICATE = "duplicate"  # already held: accept idempotently, change nothing
    GAP = "gap"  # ahead of the head: fetch what is missing first, never skip
    EQUIVOCATION = "equivocation"  # another envelope holds this seq: keep both, freeze


def place(env: Envelope, env_id: str, head: FeedHead | None, held_at_seq: str | None) -> Placement:
    """Decide where ``env`` goes, given the feed's head and the id held at ``env.seq``.

    ``held_at_seq`` is the id of the envelope already stored at (author, scope, seq), or
    None. A ``prev`` that does not name the head is refused (feed.bad_prev).
    """
    if held_at_seq is not None:
        return Placement.DUPLICATE if held_at_seq == env_id else Placement.EQUIVOCATION
    head_seq = head.seq if head is not None else 0
    if env.seq > head_seq + 1:
        return Placement.GAP
    if env.seq <= head_seq:
        # The caller holds every seq up to the head, so this cannot happen for a
        # contiguous feed; treat a hole as the caller's bug rather than the peer's.
        raise LocalProtocolError(f"feed has no envelope at seq {env.seq} below its head {head_seq}")
    expected_prev = head.id if head is not None else None
    if env.prev != expected_prev:
        raise RemoteProtocolError(
            ErrorCode.FEED_BAD_PREV,
            f"seq {env.seq} names prev {env.prev}, but seq {head_seq} is {expected_prev}",
        )
    return Placement.APPEND


def check_chain(envelopes: list[tuple[Envelope, str]]) -> None:
    """Check that (envelope, id) pairs form one contiguous chain of a single feed.

    Used for pulled feed pages and for offline verification of an exported log.
    """
    for (prev_env, prev_id), (env, _) in itertools.pairwise(envelopes):
        if (env.author, env.scope) != (prev_env.author, prev_env.scope):
            raise RemoteProtocolError(ErrorCode.FEED_BAD_PREV, "envelopes of different feeds")
        if env.seq != prev_env.seq + 1:
            raise RemoteProtocolError(
                ErrorCode.FEED_GAP, f"seq {env.seq} follows seq {prev_env.seq}"
            )
        if env.prev != prev_id:
            raise RemoteProtocolError(
                ErrorCode.FEED_BAD_PREV, f"seq {env.seq} does not chain to seq {prev_env.seq}"
            )


def equivocation(a: tuple[Envelope, str], b: tuple[Envelope, str]) -> bool:
    """True when two valid envelopes claim the same (author, scope, seq) with different ids."""
    (ea, ida), (eb, idb) = a, b
    return (ea.author, ea.scope, ea.seq) == (eb.author, eb.scope, eb.seq) and ida != idb


def prove_equivocation(evidence: Any) -> tuple[tuple[Envelope, str], tuple[Envelope, str]]:
    """Check a pair offered as evidence of equivocation (§7.3): two envelopes (decoded
    JSON, as a list or as an export's ``{"equivocation": [a, b]}`` line) that each pass
    steps 1–4 and hold the same (author, scope, seq) with different ids. Returns both as
    (envelope, id); anything else is refused with a code.
    """
    pair = evidence
    if type(evidence) is dict and evidence.keys() == {"equivocation"}:
        pair = evidence["equivocation"]
    if type(pair) is not list or len(pair) != 2:
        raise RemoteProtocolError(
            ErrorCode.EQUIVOCATION_NOT_PAIR, "evidence is a list of exactly two envelopes"
        )
    a, b = open_envelope(pair[0]), open_envelope(pair[1])
    if a[1] == b[1]:
        raise RemoteProtocolError(
            ErrorCode.EQUIVOCATION_SAME_ENVELOPE, f"both are the same envelope {a[1]}"
        )
    if not equivocation(a, b):
        raise RemoteProtocolError(
            ErrorCode.EQUIVOCATION_DIFFERENT_PLACE,
            f"seq {a[0].seq} of {a[0].author} in {a[0].scope} and seq {b[0].seq} of"
            f" {b[0].author} in {b[0].scope} are different places",
        )
    return a, b
