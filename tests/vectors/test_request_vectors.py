"""The federation request vectors (requests.json) against protocol.requests and the invite
format: signing strings, Content-Digest and signatures byte for byte, and each refused
request with its code. ``test_vectors.py`` checks the file is what generate.py writes."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path
from typing import Any

import pytest
from nacl.signing import SigningKey

from federation.inbox import read_inbox
from federation.invites import Invite, parse_invite, token_hash
from federation.verifier import verify_raws
from protocol import RemoteProtocolError, b64encode
from protocol.requests import (
    MAX_SKEW,
    content_digest,
    response_string,
    signing_string,
    verify_request,
    verify_response,
)

DOC = json.loads((Path(__file__).resolve().parent / "requests.json").read_bytes())
KEYS = {k["name"]: SigningKey(bytes.fromhex(k["seed_hex"])) for k in DOC["keys"]}
NODE = {k["name"]: k["node_id"] for k in DOC["keys"]}
REQUESTS = {r["name"]: r for r in DOC["requests"]}


def _named(section: str) -> Any:
    return pytest.mark.parametrize("v", DOC[section], ids=[v["name"] for v in DOC[section]])


def test_window_is_the_codes() -> None:
    assert DOC["max_skew"] == MAX_SKEW


@_named("requests")
def test_request_signing_string_digest_and_signature(v: dict[str, Any]) -> None:
    body = v["body"].encode()
    assert content_digest(body) == v["content_digest"]
    string = signing_string(
        v["method"],
        v["path"],
        NODE[v["receiver"]],
        NODE[v["sender"]],
        v["timestamp"],
        v["nonce"],
        v["content_digest"],
    )
    assert string == v["signing_string"].encode()
    # Ed25519 is deterministic: the sender's seed gives exactly this signature.
    assert b64encode(KEYS[v["sender"]].sign(string).signature) == v["signature"]


@_named("requests")
def test_request_verifies_at_its_receiver(v: dict[str, Any]) -> None:
    signed = verify_request(
        v["headers"],
        v["method"],
        v["path"],
        v["body"].encode(),
        self_id=NODE[v["receiver"]],
        now=v["timestamp"],
    )
    assert (signed.sender, signed.nonce, signed.timestamp) == (
        NODE[v["sender"]],
        v["nonce"],
        v["timestamp"],
    )


@_named("requests")
def test_request_edges_of_the_window(v: dict[str, Any]) -> None:
    for now in (v["timestamp"] - MAX_SKEW, v["timestamp"] + MAX_SKEW):
        verify_request(
            v["headers"], v["method"], v["path"], v["body"].encode(),
            self_id=NODE[v["receiver"]], now=now,
        )  # fmt: skip
    with pytest.raises(RemoteProtocolError) as err:
        verify_request(
            v["headers"], v["method"], v["path"], v["body"].encode(),
            self_id=NODE[v["receiver"]], now=v["timestamp"], not_before=v["timestamp"] + 1,
        )  # fmt: skip
    assert err.value.code == "auth.stale"


@_named("invalid")
def test_refused_request(v: dict[str, Any]) -> None:
    with pytest.raises(RemoteProtocolError) as err:
        verify_request(
            v["headers"],
            v["method"],
            v["path"],
            v["body"].encode(),
            self_id=NODE[v["receiver"]],
            now=v["now"],
        )
    assert err.value.code == v["error"]


def _body(v: dict[str, Any]) -> bytes:
    return base64.b64decode(v["body_b64"]) if "body_b64" in v else v["body"].encode()


@_named("bodies")
def test_inbox_body(v: dict[str, Any]) -> None:
    """The whole request's code, or each element's code at §6 steps 1–4 (null: passes)."""
    body = _body(v)
    if "error" in v:
        with pytest.raises(RemoteProtocolError) as err:
            read_inbox(body)
        assert err.value.code == v["error"]
        return
    raws, _ = read_inbox(body)
    assert [code for _, code, _ in verify_raws(raws)] == v["results"]


@_named("responses")
def test_response_vector(v: dict[str, Any]) -> None:
    body = v["body"].encode()
    assert content_digest(body) == v["content_digest"]
    string = response_string(v["nonce"], v["status"], v["content_digest"])
    assert string == v["signing_string"].encode()
    assert b64encode(KEYS[v["signer"]].sign(string).signature) == v["signature"]
    assert v["nonce"] == REQUESTS[v["request"]]["nonce"]
    verify_response(v["headers"], v["nonce"], v["status"], body, NODE[v["signer"]])


@_named("responses")
def test_response_bound_to_its_request_status_and_signer(v: dict[str, Any]) -> None:
    body = v["body"].encode()
    other = next(name for name in NODE if name != v["signer"])
    for nonce, status, signer in (
        (REQUESTS["heads"]["nonce"], v["status"], NODE[v["signer"]]),
        (v["nonce"], v["status"] + 1, NODE[v["signer"]]),
        (v["nonce"], v["status"], NODE[other]),
    ):
        with pytest.raises(RemoteProtocolError) as err:
            verify_response(v["headers"], nonce, status, body, signer)
        assert err.value.code == "auth.bad_signature"
    with pytest.raises(RemoteProtocolError) as err:
        verify_response(v["headers"], v["nonce"], v["status"], body + b" ", NODE[v["signer"]])
    assert err.value.code == "auth.digest_mismatch"


def test_invite_string() -> None:
    v = DOC["invite"]
    invite = Invite(v["node"], v["url"], v["token"])
    assert str(invite) == v["invite"]
    assert v["invite"] == "nst-invite-v1." + b64encode(v["payload"].encode())
    assert parse_invite(v["invite"]) == invite
    assert token_hash(v["token"]) == v["token_hash"] == invite.token_hash
    # The link vector carries this invite's token.
    assert json.loads(REQUESTS["link"]["body"])["token"] == v["token"]


def _section_12() -> str:
    doc = (Path(__file__).resolve().parents[2] / "PROTOCOL.md").read_text(encoding="utf-8")
    return doc.split("\n## 12. ", 1)[1]


def test_protocol_section_12_shows_current_vectors() -> None:
    section = _section_12()
    heads, answer, invite = REQUESTS["heads"], DOC["responses"][0], DOC["invite"]
    for value in (heads["signing_string"], heads["signature"], heads["content_digest"]):
        assert value in section, "§12.2 shows a stale request vector: update it"
    for value in (answer["signing_string"], answer["signature"]):
        assert value in section, "§12.2 shows a stale response vector: update it"
    for value in (invite["invite"], invite["token_hash"], invite["token"]):
        assert value in section, "§12.6 shows a stale invite vector: update it"


def test_protocol_section_12_states_the_limits() -> None:
    from federation import limits

    section = _section_12()
    for number in (
        MAX_SKEW,
        limits.MAX_REQUEST_BYTES,
        limits.MAX_BATCH,
        limits.MAX_FEED_PAGE,
        limits.DELIVERY_BATCH,
        int(limits.MAX_BACKOFF),
    ):
        assert str(number) in section


def test_protocol_section_12_status_table_matches_the_routes() -> None:
    from federation.routes import _status
    from protocol import ErrorCode

    table = _section_12().split("### 12.3", 1)[1].split("### 12.4", 1)[0]
    listed: dict[str, int] = {}
    for status, codes in re.findall(r"^\| (\d{3}) \| (.+) \|$", table, re.MULTILINE):
        for code in re.findall(r"`([a-z_]+\.[a-z_]+)`", codes):
            listed[code] = int(status)
    assert listed, "§12.3 has a status table"
    assert {c: _status(ErrorCode(c)) for c in listed} == listed
    # Every code answered with another status than 400 is in the table.
    assert {c.value for c in ErrorCode if _status(c) != 400} <= set(listed)
