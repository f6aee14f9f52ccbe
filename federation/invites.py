"""Invites: a single-use, expiring token plus the inviting node's id and URL, as one
pasteable string: ``nst-invite-v1.<base64url of canonical JSON {"node","token","url"}>``."""

from __future__ import annotations

import binascii
import secrets
from dataclasses import dataclass

import orjson

from protocol import ErrorCode, RemoteProtocolError, b64decode, b64encode, sha256_id
from protocol.canonical import encode
from protocol.ids import verify_key_of

PREFIX = "nst-invite-v1."


@dataclass(frozen=True, slots=True)
class Invite:
    node: str
    url: str
    token: str

    def __str__(self) -> str:
        doc = {"node": self.node, "token": self.token, "url": self.url}
        return PREFIX + b64encode(encode(doc))

    @property
    def token_hash(self) -> str:
        return token_hash(self.token)


def new_token() -> str:
    return b64encode(secrets.token_bytes(32))


def token_hash(token: str) -> str:
    """What the inviting node keeps instead of the token."""
    return sha256_id(token.encode())


def parse_invite(text: str) -> Invite:
    text = text.strip()
    if not text.startswith(PREFIX):
        raise RemoteProtocolError(ErrorCode.INVITE_INVALID, f"an invite starts with {PREFIX}")
    try:
        doc = orjson.loads(b64decode(text[len(PREFIX) :]))
        invite = Invite(doc["node"], doc["url"], doc["token"])
    except (ValueError, binascii.Error, KeyError, TypeError, orjson.JSONDecodeError):
        raise RemoteProtocolError(ErrorCode.INVITE_INVALID, "the invite is damaged") from None
    if not all(isinstance(v, str) for v in (invite.node, invite.url, invite.token)):
        raise RemoteProtocolError(ErrorCode.INVITE_INVALID, "the invite is damaged")
    try:
        verify_key_of(invite.node)
    except RemoteProtocolError:
        raise RemoteProtocolError(
            ErrorCode.INVITE_INVALID, "the invite names no valid node id"
        ) from None
    if not invite.url.startswith(("http://", "https://")):
        raise RemoteProtocolError(ErrorCode.INVITE_INVALID, "the invite's URL is not http(s)")
    return invite
