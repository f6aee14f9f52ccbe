"""Fixed keys and a signing helper shared by the protocol tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import strategies as st
from nacl.signing import SigningKey

from protocol import Draft, Envelope, circle_id, envelope_id, node_id_of, sha256_id, sign

TS = "2026-11-22T10:00:00Z"

SignFn = Callable[..., tuple[Envelope, str]]
ChangeFn = Callable[..., bytes]


@pytest.fixture(scope="session")
def key_a() -> SigningKey:
    return SigningKey(b"\x01" * 32)


@pytest.fixture(scope="session")
def key_b() -> SigningKey:
    return SigningKey(b"\x02" * 32)


@pytest.fixture(scope="session")
def node_a(key_a: SigningKey) -> str:
    return node_id_of(key_a)


@pytest.fixture(scope="session")
def node_b(key_b: SigningKey) -> str:
    return node_id_of(key_b)


@pytest.fixture(scope="session")
def scope(node_a: str) -> str:
    return circle_id("general", node_a)


@pytest.fixture(scope="session")
def refs() -> tuple[str, str]:
    return sha256_id(b"ref one"), sha256_id(b"ref two")


@pytest.fixture(scope="session")
def signed(key_a: SigningKey, scope: str) -> SignFn:
    """``signed(seq=…, prev=…, …)`` -> (envelope, id): a message by node A unless told."""

    def make(
        seq: int = 1,
        prev: str | None = None,
        *,
        key: SigningKey = key_a,
        kind: str = "message",
        body: dict[str, Any] | None = None,
        actor: str | None = None,
        refs: tuple[str, ...] = (),
        scope: str = scope,
        ts: str = TS,
    ) -> tuple[Envelope, str]:
        draft = Draft(
            kind=kind,
            scope=scope,
            seq=seq,
            prev=prev,
            body={"text": f"message {seq}"} if body is None else body,
            ts=ts,
            actor=actor,
            refs=refs,
        )
        env = sign(draft, key)
        return env, envelope_id(env)

    return make


@pytest.fixture(scope="session")
def chain(signed: SignFn) -> list[tuple[Envelope, str]]:
    """Three chained envelopes of node A's feed in the general circle."""
    out = [signed(1)]
    for seq in (2, 3):
        out.append(signed(seq, out[-1][1]))
    return out


@pytest.fixture(scope="session")
def rich(
    signed: SignFn, chain: list[tuple[Envelope, str]], node_a: str, refs: tuple[str, str]
) -> Envelope:
    """A seq-2 envelope with every optional header field set: actor, refs and prev."""
    env, _ = signed(
        2,
        chain[0][1],
        actor=f"alice@{node_a}",
        refs=refs,
        body={"text": "hello", "purpose": "question"},
    )
    return env


def _change_bytes(data: Any, base: bytes, inserts: list[bytes], longest_repeat: int) -> bytes:
    """``base`` with one to three changes drawn from Hypothesis' ``data``: a byte
    replaced, a few deleted, one of ``inserts`` inserted, or a run of up to
    ``longest_repeat`` bytes repeated. Empty when the changes deleted everything."""
    raw = bytearray(base)
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(raw) - 1))
        how = data.draw(st.sampled_from(["replace", "delete", "insert", "repeat"]))
        if how == "replace":
            raw[at] = data.draw(st.integers(0, 255))
        elif how == "delete":
            del raw[at : at + data.draw(st.integers(1, 8))]
        elif how == "insert":
            raw[at:at] = data.draw(st.sampled_from(inserts))
        else:
            end = at + data.draw(st.integers(1, longest_repeat))
            raw[end:end] = raw[at:end]
        if not raw:
            break
    return bytes(raw)


@pytest.fixture(scope="session")
def change_bytes() -> ChangeFn:
    """``change_bytes(data, base, inserts, longest_repeat)``: see ``_change_bytes``."""
    return _change_bytes
