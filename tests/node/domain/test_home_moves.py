"""Moving a silent home without it (PROTOCOL.md §13.15), the pure rules: the votes a move
charter names cover every member node but the home, agree on the old and new home and on
the order, and the home has been silent past the timeout; and a node's own removal is
checked against the current home, not the node the circle id names."""

from __future__ import annotations

import datetime as dt

import pytest
from nacl.signing import SigningKey

from node.domain.circles import CircleMember, CircleState
from node.domain.errors import DomainError
from node.domain.home_moves import Vote, check_silent, check_votes
from node.domain.rules import check_kind_rules
from protocol import Draft, RemoteProtocolError, node_id_of, sign

KEYS = [SigningKey(bytes([i]) * 32) for i in range(1, 4)]
FOUNDER, B, D = (node_id_of(k) for k in KEYS)
CIRCLE = f"circle:general@{FOUNDER}"
STATE = CircleState(
    CIRCLE,
    FOUNDER,
    "General",
    "Coordinate",
    federated=True,
    members={B: CircleMember(B, "active"), D: CircleMember(D, "active")},
)
ORDER = {1: "sha256:one", 2: "sha256:two"}


def _vote(voter: str, pos: int = 2, **kw: object) -> Vote:
    fields: dict[str, object] = {"home": FOUNDER, "to": B, "pos_id": ORDER[pos], **kw}
    return Vote(f"sha256:{voter[8:20]}", voter, pos=pos, **fields)  # type: ignore[arg-type]


def test_every_member_node_but_the_home_votes_for_the_same_new_home() -> None:
    check_votes(STATE, B, {B: _vote(B), D: _vote(D, pos=1)}, ORDER, 2)
    with pytest.raises(DomainError) as err:
        check_votes(STATE, B, {B: _vote(B)}, ORDER, 2)
    assert err.value.code == "home.votes_incomplete"
    for bad in (_vote(D, to=D), _vote(D, home=B), _vote(D, withdrawn=True)):
        with pytest.raises(DomainError) as err:
            check_votes(STATE, B, {B: _vote(B), D: bad}, ORDER, 2)
        assert err.value.code == "home.bad_vote"


def test_a_fork_or_a_wrong_position_is_a_bad_vote() -> None:
    forked = _vote(D, pos=2, pos_id="sha256:other")
    for votes, last in (({B: _vote(B), D: forked}, 2), ({B: _vote(B), D: _vote(D)}, 3)):
        with pytest.raises(DomainError) as err:
            check_votes(STATE, B, votes, ORDER, last)
        assert err.value.code == "home.bad_vote"


def test_the_home_is_silent_only_past_the_timeout() -> None:
    last = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)
    check_silent(STATE, 14, last, last + dt.timedelta(days=14, seconds=1))
    with pytest.raises(DomainError) as err:
        check_silent(STATE, 14, last, last + dt.timedelta(days=14))
    assert err.value.code == "home.not_timed_out"


def test_the_founders_own_removal_is_checked_once_the_home_moved() -> None:
    # FOUNDER leaves the circle B is home of now, naming a final_seq not its own seq.
    body = {"member": FOUNDER, "status": "removed", "final_seq": 3}
    env = sign(
        Draft(
            kind="membership",
            scope=CIRCLE,
            seq=7,
            prev="sha256:" + "A" * 43,
            body=body,
            ts="2026-11-22T10:00:00Z",
        ),
        KEYS[0],
    )
    with pytest.raises(RemoteProtocolError) as err:
        check_kind_rules(env, B)
    assert err.value.code == "rule.bad_final_seq"
    check_kind_rules(env, FOUNDER)  # the home's own membership: no answer of a node
