"""Feed rules: where an envelope falls in its feed, chains, equivocation."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from nacl.signing import SigningKey

from protocol import (
    Envelope,
    FeedHead,
    LocalProtocolError,
    Placement,
    check_chain,
    circle_id,
    equivocation,
    place,
    sha256_id,
)
from protocol.errors import ErrorCode, RemoteProtocolError

Chain = list[tuple[Envelope, str]]


def head(entry: tuple[Envelope, str]) -> FeedHead:
    return FeedHead(entry[0].seq, entry[1])


def bad_prev(fn: Any, *args: Any) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        fn(*args)
    assert info.value.code == ErrorCode.FEED_BAD_PREV


def test_first_envelope_appends_to_an_empty_feed(chain: Chain) -> None:
    env, env_id = chain[0]
    assert place(env, env_id, None, None) is Placement.APPEND


def test_next_envelope_appends(chain: Chain) -> None:
    for before, (env, env_id) in itertools.pairwise(chain):
        assert place(env, env_id, head(before), None) is Placement.APPEND


def test_envelope_ahead_of_the_head_is_a_gap(chain: Chain) -> None:
    assert place(*chain[1], None, None) is Placement.GAP
    assert place(*chain[2], None, None) is Placement.GAP
    assert place(*chain[2], head(chain[0]), None) is Placement.GAP


def test_held_envelope_is_a_duplicate(chain: Chain) -> None:
    for env, env_id in chain:
        assert place(env, env_id, head(chain[-1]), env_id) is Placement.DUPLICATE


def test_another_envelope_at_a_held_seq_is_equivocation(chain: Chain, signed: Any) -> None:
    rival, rival_id = signed(2, chain[0][1], body={"text": "another second message"})
    assert rival_id != chain[1][1]
    assert place(rival, rival_id, head(chain[1]), chain[1][1]) is Placement.EQUIVOCATION
    assert place(rival, rival_id, head(chain[2]), chain[1][1]) is Placement.EQUIVOCATION


def test_prev_not_naming_the_head_is_bad_prev(chain: Chain, signed: Any) -> None:
    stray, stray_id = signed(2, sha256_id(b"not the first one"))
    bad_prev(place, stray, stray_id, head(chain[0]), None)
    # The second envelope of a feed whose first is held, naming another first.
    bad_prev(place, chain[2][0], chain[2][1], FeedHead(2, sha256_id(b"other")), None)


def test_first_envelope_naming_a_prev_is_bad_prev(chain: Chain) -> None:
    # decode_envelope refuses this shape; place must not rely on that alone.
    env, env_id = chain[0]
    fields = env.to_json()
    fields.update(prev=chain[1][1], refs=tuple(fields["refs"]))
    bad_prev(place, Envelope(**fields), env_id, None, None)


def test_a_hole_below_the_head_is_our_bug(chain: Chain) -> None:
    with pytest.raises(LocalProtocolError):
        place(*chain[1], head(chain[2]), None)


def test_check_chain_accepts_a_contiguous_feed(chain: Chain) -> None:
    check_chain(chain)
    check_chain(chain[1:])
    check_chain(chain[:1])
    check_chain([])


def test_check_chain_refuses_a_gap(chain: Chain) -> None:
    with pytest.raises(RemoteProtocolError) as info:
        check_chain([chain[0], chain[2]])
    assert info.value.code == ErrorCode.FEED_GAP
    with pytest.raises(RemoteProtocolError) as info:
        check_chain([chain[0], chain[1], chain[1]])
    assert info.value.code == ErrorCode.FEED_GAP
    with pytest.raises(RemoteProtocolError) as info:
        check_chain(chain[::-1])
    assert info.value.code == ErrorCode.FEED_GAP


def test_check_chain_refuses_a_broken_link(chain: Chain, signed: Any) -> None:
    rival = signed(2, chain[0][1], body={"text": "another second message"})
    bad_prev(check_chain, [chain[0], rival, chain[2]])
    bad_prev(check_chain, [chain[0], (chain[1][0], rival[1]), chain[2]])


def test_check_chain_refuses_mixed_feeds(
    chain: Chain, signed: Any, key_b: SigningKey, node_a: str
) -> None:
    other_author = signed(2, chain[0][1], key=key_b)
    other_scope = signed(2, chain[0][1], scope=circle_id("other", node_a))
    bad_prev(check_chain, [chain[0], other_author])
    bad_prev(check_chain, [chain[0], other_scope])


def test_equivocation(chain: Chain, signed: Any, key_b: SigningKey, node_a: str) -> None:
    rival = signed(2, chain[0][1], body={"text": "another second message"})
    assert equivocation(chain[1], rival)
    assert equivocation(rival, chain[1])
    assert not equivocation(chain[1], chain[1])
    assert not equivocation(chain[1], chain[2])
    assert not equivocation(chain[1], signed(2, chain[0][1], key=key_b))
    assert not equivocation(chain[1], signed(2, chain[0][1], scope=circle_id("x", node_a)))
