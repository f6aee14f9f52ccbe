"""Invites without the network: the pasteable form, damaged invites, and what the
inviting node's Peers service does with a token (single use, expiry, revocation, policy)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path

import orjson
import pytest
from harness import START
from nacl.signing import SigningKey

from federation.invites import PREFIX, Invite, new_token, parse_invite, token_hash
from node.clock import FixedClock
from node.peers import Peers
from node.store import SQLiteStore
from protocol import ErrorCode, RemoteProtocolError, b64encode, node_id_of, sha256_id
from protocol.canonical import encode

NODE = node_id_of(SigningKey(b"\x31" * 32))
OTHER = node_id_of(SigningKey(b"\x32" * 32))
THIRD = node_id_of(SigningKey(b"\x33" * 32))


def pasted(doc: object) -> str:
    return PREFIX + b64encode(orjson.dumps(doc))


# --- the invite string -------------------------------------------------------------------------


def test_an_invite_round_trips_through_its_text() -> None:
    invite = Invite(NODE, "https://org.example", new_token())
    text = str(invite)
    assert text.startswith("nst-invite-v1.")
    assert parse_invite(text) == invite
    assert parse_invite(f"  {text}\n") == invite  # pasted with whitespace
    # The payload is canonical JSON of node, token and url.
    payload = {"node": NODE, "token": invite.token, "url": "https://org.example"}
    assert text == PREFIX + b64encode(encode(payload))


def test_tokens_are_random_and_kept_only_as_a_hash() -> None:
    tokens = {new_token() for _ in range(100)}
    assert len(tokens) == 100
    token = tokens.pop()
    assert len(token) == 43  # 32 bytes, unpadded base64url
    assert token_hash(token) == sha256_id(token.encode())
    assert Invite(NODE, "https://x.example", token).token_hash == token_hash(token)
    assert token not in token_hash(token)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "hello",
        "nst-invite-v2." + b64encode(b"{}"),
        PREFIX + "!!!",
        PREFIX + b64encode(b"not json"),
        PREFIX + b64encode(b"[1,2]"),
        pasted({"node": NODE, "url": "https://x.example"}),
        pasted({"node": NODE, "token": 5, "url": "https://x.example"}),
        pasted({"node": NODE, "token": "t", "url": None}),
        pasted({"node": NODE, "token": "t", "url": "ftp://x.example"}),
        pasted({"node": NODE, "token": "t", "url": "javascript:alert(1)"}),
    ],
)
def test_a_damaged_invite_is_invalid(text: str) -> None:
    with pytest.raises(RemoteProtocolError) as err:
        parse_invite(text)
    assert err.value.code == ErrorCode.INVITE_INVALID


@pytest.mark.parametrize("node", ["ed25519:nope", "ed25519:" + "A" * 43])
def test_an_invite_naming_no_valid_node_is_invalid(node: str) -> None:
    with pytest.raises(RemoteProtocolError) as err:
        parse_invite(pasted({"node": node, "token": "t", "url": "https://x.example"}))
    assert err.value.code == ErrorCode.INVITE_INVALID


# --- the inviting node's side ------------------------------------------------------------------


@pytest.fixture
async def peers(tmp_path: Path) -> AsyncIterator[tuple[Peers, FixedClock]]:
    clock = FixedClock(START)
    async with SQLiteStore(tmp_path / "nst.sqlite3", backup_dir=tmp_path / "backups") as store:
        yield Peers(store, clock, NODE), clock


async def test_an_invite_is_used_once(peers: tuple[Peers, FixedClock]) -> None:
    p, clock = peers
    token = new_token()
    await p.add_invite(token_hash(token), START + dt.timedelta(days=7), "for Other")

    peer = await p.accept_invite(token_hash(token), OTHER, "https://other.example", "Other")
    assert (peer.node_id, peer.url, peer.name, peer.state) == (
        OTHER,
        "https://other.example",
        "Other",
        "linked",
    )
    # The same node again answers as before (a lost answer is retried); another is refused.
    clock.advance(dt.timedelta(days=30))
    again = await p.accept_invite(token_hash(token), OTHER, "https://other.example", "Other")
    assert again.state == "linked"
    with pytest.raises(RemoteProtocolError) as err:
        await p.accept_invite(token_hash(token), THIRD, "https://third.example", "Third")
    assert err.value.code == ErrorCode.INVITE_USED
    assert await p.get(THIRD) is None

    [held] = await p.invites()
    assert held["used_by"] == OTHER
    assert held["used_at"] == "2026-11-22T10:00:00Z"
    assert held["note"] == "for Other"
    assert held["revoked"] is False
    assert not await p.revoke_invite(token_hash(token))  # used: nothing to revoke


async def test_unknown_expired_and_revoked_invites(peers: tuple[Peers, FixedClock]) -> None:
    p, clock = peers
    with pytest.raises(RemoteProtocolError) as err:
        await p.accept_invite(token_hash(new_token()), OTHER, "https://o.example", "")
    assert err.value.code == ErrorCode.INVITE_INVALID

    expiring = new_token()
    await p.add_invite(token_hash(expiring), START + dt.timedelta(hours=1), "")
    clock.advance(dt.timedelta(hours=1, seconds=1))
    with pytest.raises(RemoteProtocolError) as err:
        await p.accept_invite(token_hash(expiring), OTHER, "https://o.example", "")
    assert err.value.code == ErrorCode.INVITE_EXPIRED

    revoked = new_token()
    await p.add_invite(token_hash(revoked), clock.now() + dt.timedelta(days=1), "")
    assert await p.revoke_invite(token_hash(revoked))
    with pytest.raises(RemoteProtocolError) as err:
        await p.accept_invite(token_hash(revoked), OTHER, "https://o.example", "")
    assert err.value.code == ErrorCode.INVITE_INVALID

    assert await p.all() == []
    assert all(i["used_by"] is None for i in await p.invites())


async def test_policy_applies_to_invites(peers: tuple[Peers, FixedClock]) -> None:
    p, _ = peers
    token = new_token()
    await p.add_invite(token_hash(token), START + dt.timedelta(days=1), "")
    await p.set_policy(OTHER, "deny")
    assert not await p.allowed(OTHER)
    with pytest.raises(RemoteProtocolError) as err:
        await p.accept_invite(token_hash(token), OTHER, "https://o.example", "")
    assert err.value.code == ErrorCode.AUTH_DENIED
    [held] = await p.invites()
    assert held["used_by"] is None  # a refused node does not use up the invite

    await p.set_policy(THIRD, "allow")
    assert await p.allowed(THIRD)
    assert not await p.allowed(node_id_of(SigningKey(b"\x34" * 32)))
    await p.set_policy(OTHER, None)
    assert not await p.allowed(OTHER)  # not on the allow list
    await p.set_policy(THIRD, None)
    assert await p.allowed(OTHER)
    assert (await p.accept_invite(token_hash(token), OTHER, "https://o.example", "")).state == (
        "linked"
    )
