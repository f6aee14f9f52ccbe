"""The signed trailer that closes an export (``nst export``, ``nst logbook export``).

It is the exporting node's signature over what the export holds: how many lines of each
type, the last envelope of each feed, the last position of each circle order, and a hash
over every line before it. A verifier offline can then tell a complete, untouched export
from one cut short, reordered or edited (PROTOCOL.md §7.5). Pure: no I/O.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import msgspec
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey

from protocol import Envelope, ErrorCode, RemoteProtocolError, b64decode, b64encode, loads
from protocol.canonical import dumps
from protocol.ids import node_id_of, verify_key_of

PREFIX = b'{"trailer":'
_MAX_TRAILER_BYTES = 64 * 1024 * 1024  # a node's every feed end, with room to spare


class FeedEnd(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The last envelope of a feed the export holds."""

    author: str
    scope: str
    seq: int
    id: str


class OrderEnd(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """The last position of a circle order the export holds."""

    scope: str
    pos: int
    id: str
    at: str


class Trailer(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """What the exporting node signed (``sig`` over the canonical rest)."""

    export: str  # "node" (nst export) or "logbook" (nst logbook export)
    signer: str
    signed_at: str
    lines: dict[str, int]
    feeds: list[FeedEnd]
    orders: list[OrderEnd]
    digest: str
    sig: str


@dataclass
class Tally:
    """What an export holds, kept line by line the same way by its writer and by its
    verifier, so the two can be compared."""

    lines: dict[str, int] = field(default_factory=dict)
    feeds: dict[tuple[str, str], tuple[int, str]] = field(default_factory=dict)
    orders: dict[str, tuple[int, str, str]] = field(default_factory=dict)
    _hash: Any = field(default_factory=hashlib.sha256)
    _seen: dict[bytes, int] = field(default_factory=dict)

    def line(self, kind: str, raw: bytes, number: int = 0) -> None:
        """Count a line of type ``kind`` (as written, without its LF); a line seen
        before is refused (export.duplicate_line)."""
        key = hashlib.sha256(raw).digest()
        if key in self._seen:
            raise RemoteProtocolError(
                ErrorCode.EXPORT_DUPLICATE_LINE,
                f"line {number} repeats line {self._seen[key]}",
            )
        self._seen[key] = number
        self._hash.update(raw + b"\n")
        self.lines[kind] = self.lines.get(kind, 0) + 1

    def envelope(self, env: Envelope, env_id: str) -> None:
        key = (env.author, env.scope)
        if env.seq > self.feeds.get(key, (0, ""))[0]:
            self.feeds[key] = (env.seq, env_id)

    def position(self, scope: str, pos: int, env_id: str, at: str) -> None:
        if pos > self.orders.get(scope, (0, "", ""))[0]:
            self.orders[scope] = (pos, env_id, at)

    def digest(self) -> str:
        return "sha256:" + b64encode(self._hash.digest())


def sign_trailer(tally: Tally, export: str, key: SigningKey, signed_at: str) -> bytes:
    """The trailer line (no LF) that closes the lines ``tally`` counted."""
    body: dict[str, Any] = {
        "export": export,
        "signer": node_id_of(key),
        "signed_at": signed_at,
        "lines": dict(sorted(tally.lines.items())),
        "feeds": [
            {"author": a, "scope": s, "seq": seq, "id": i}
            for (a, s), (seq, i) in sorted(tally.feeds.items())
        ],
        "orders": [
            {"scope": s, "pos": pos, "id": i, "at": at}
            for s, (pos, i, at) in sorted(tally.orders.items())
        ],
        "digest": tally.digest(),
    }
    body["sig"] = b64encode(key.sign(dumps(body, max_depth=4)).signature)
    return PREFIX + dumps(body, max_depth=4) + b"}"


def split(lines: list[bytes]) -> tuple[list[tuple[int, bytes]], bytes | None]:
    """The numbered lines before the trailer, and the trailer line (None when the export
    has none). A trailer anywhere but last is refused."""
    numbered = [(n, line) for n, line in enumerate(lines, start=1) if line.strip()]
    last = numbered[-1][1] if numbered and numbered[-1][1].startswith(PREFIX) else None
    body = numbered[:-1] if last is not None else numbered
    for number, line in body:
        if line.startswith(PREFIX):
            if line == last:
                raise RemoteProtocolError(
                    ErrorCode.EXPORT_DUPLICATE_LINE, f"line {number} repeats the trailer"
                )
            raise RemoteProtocolError(
                ErrorCode.EXPORT_EXTRA_LINES, f"line {number}: lines follow a trailer"
            )
    return body, last


def read_trailer(line: bytes, export: str, signer: str | None = None) -> Trailer:
    """The trailer of an ``export`` ("node" or "logbook"), its signature checked (and
    its signer, when the verifier names the node it expects)."""
    try:
        obj = loads(line, max_bytes=_MAX_TRAILER_BYTES)["trailer"]
        trailer = msgspec.convert(obj, Trailer)
        unsigned = {k: v for k, v in obj.items() if k != "sig"}
        signed = dumps(unsigned, max_depth=4)
        verify_key = verify_key_of(trailer.signer)
        raw_sig = b64decode(trailer.sig)
    except (RemoteProtocolError, msgspec.ValidationError, KeyError, TypeError, ValueError) as e:
        raise RemoteProtocolError(
            ErrorCode.EXPORT_BAD_TRAILER, f"the last line is not a well-formed trailer: {e}"
        ) from None
    if trailer.export != export:
        raise RemoteProtocolError(
            ErrorCode.EXPORT_BAD_TRAILER,
            f"the trailer closes a {trailer.export!r} export, this is a {export!r} export",
        )
    try:
        verify_key.verify(signed, raw_sig)
    except (BadSignatureError, ValueError):
        raise RemoteProtocolError(
            ErrorCode.EXPORT_BAD_SIGNATURE,
            f"the trailer's signature does not verify for {trailer.signer}",
        ) from None
    if signer is not None and trailer.signer != signer:
        raise RemoteProtocolError(
            ErrorCode.EXPORT_WRONG_SIGNER, f"signed by {trailer.signer}, not by {signer}"
        )
    return trailer


def check_complete(trailer: Trailer, tally: Tally) -> None:
    """The export holds exactly the feeds, orders and lines the trailer counts: fewer is
    export.truncated, more is export.extra_lines."""
    held_feeds = dict(tally.feeds)
    for f in trailer.feeds:
        seq = held_feeds.pop((f.author, f.scope), (0, ""))[0]
        if seq != f.seq:
            raise _count(
                seq < f.seq,
                f"the feed of {f.author} in {f.scope} ends at seq {seq}; the trailer says {f.seq}",
            )
    if held_feeds:
        (author, scope), (seq, _) = next(iter(held_feeds.items()))
        raise _count(False, f"the trailer counts no feed of {author} in {scope} (seq {seq})")
    held_orders = dict(tally.orders)
    for o in trailer.orders:
        pos = held_orders.pop(o.scope, (0, "", ""))[0]
        if pos != o.pos:
            raise _count(
                pos < o.pos,
                f"the order of {o.scope} ends at position {pos}; the trailer says {o.pos}",
            )
    if held_orders:
        scope, (pos, _, _) = next(iter(held_orders.items()))
        raise _count(False, f"the trailer counts no order of {scope} (position {pos})")
    for kind in sorted(trailer.lines.keys() | tally.lines.keys()):
        held, counted = tally.lines.get(kind, 0), trailer.lines.get(kind, 0)
        if held != counted:
            raise _count(
                held < counted,
                f"{held} {kind} lines; the trailer counts {counted}",
            )


def check_digest(trailer: Trailer, tally: Tally) -> None:
    """Every line is the one signed, in its place (an edit, a swap)."""
    if tally.digest() != trailer.digest:
        raise RemoteProtocolError(
            ErrorCode.EXPORT_DIGEST_MISMATCH,
            "the lines are not the ones the trailer signed (a line was edited or moved)",
        )


def _count(short: bool, message: str) -> RemoteProtocolError:
    code = ErrorCode.EXPORT_TRUNCATED if short else ErrorCode.EXPORT_EXTRA_LINES
    return RemoteProtocolError(code, message)
