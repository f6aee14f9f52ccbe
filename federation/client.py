"""A Python client for the federation API: what a node (or a developer's tool) uses to
talk to another node. Every request is signed with the caller's key and every answer
is checked as signed by the node it was meant for.

    client = PeerClient(signing_key, HttpTransport(dev_mode=True))
    info = await client.node_info("http://127.0.0.1:8470")
    info = await client.identity(info["url"], info["node_id"])  # the same, signed by it
    results = await client.inbox(info["node_id"], info["url"], [envelope.to_bytes()])
    heads = await client.heads(info["node_id"], info["url"], scope)
    page = await client.feed(info["node_id"], info["url"], scope, author, after=0)
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import quote, urlencode

import msgspec
import orjson
from nacl.signing import SigningKey

from federation.transport import (
    MAX_RESPONSE_BYTES,
    ConnectionLostError,
    Response,
    Transport,
    TransportError,
)
from node.store import OrderMark
from protocol import Envelope, ErrorCode, RemoteProtocolError, loads, parse_envelope, verify
from protocol.bodies import Int, decode, decode_batch
from protocol.fields import END
from protocol.ids import HASH_PATTERN
from protocol.requests import (
    NONCE,
    SENDER,
    SIGNATURE,
    response_signer,
    sign_request,
    verify_response,
)

API = "/fed/v1"


class PeerError(Exception):
    """The peer answered with an error; ``code`` is its machine-readable reason."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class WrongNodeError(RemoteProtocolError):
    """Another node answered at the URL: ``answered`` is its id when its signature on the
    answer checks, else None (it only said the request was not for it)."""

    def __init__(self, url: str, expected: str, answered: str | None, claimed: str) -> None:
        who = answered or (f"a node calling itself {claimed}" if claimed else "another node")
        super().__init__(ErrorCode.PEER_WRONG_NODE, f"{url} answers as {who}, not as {expected}")
        self.url = url
        self.expected = expected
        self.answered = answered


class UnsignedAnswerError(TransportError):
    """An answer without a signature: no node answers at the URL (a plain web server, a
    proxy whose node is down), which is as good as no answer."""


def scope_path(scope: str) -> str:
    return f"{API}/scopes/{quote(scope, safe=':@')}"


class PeerClient:
    def __init__(self, key: SigningKey, transport: Transport) -> None:
        self.key = key
        self.transport = transport

    async def call(self, method: str, url: str, peer: str, path: str, body: bytes = b"") -> Any:
        """A signed request to ``peer`` at ``url``; the checked JSON answer."""
        return _answer(await self.call_raw(method, url, peer, path, body))

    async def call_raw(
        self, method: str, url: str, peer: str, path: str, body: bytes = b""
    ) -> Response:
        """A signed request; the answer, its signature checked, not yet decoded.

        A connection lost before any answer (a peer restarted behind a kept-alive
        connection) is tried once more, signed afresh: every endpoint is idempotent.
        """
        for attempt in (1, 2):
            headers = sign_request(self.key, method, path, peer, body, int(time.time()))
            if body:
                headers["Content-Type"] = "application/json"
            try:
                resp = await self.transport.request(method, url.rstrip("/") + path, headers, body)
            except ConnectionLostError:
                if attempt == 2:
                    raise
                continue
            try:
                verify_response(resp.headers, headers[NONCE], resp.status, resp.body, peer)
            except RemoteProtocolError as exc:
                raise _not_from(peer, url, resp, headers[NONCE]) or exc from None
            return resp
        raise AssertionError("unreachable")

    async def identity(self, url: str, node_id: str) -> dict[str, Any]:
        """The identity document at ``url``, signed by ``node_id``: proves that ``node_id``
        answers there (WrongNodeError if another node does)."""
        doc = await self.call("GET", url, node_id, f"{API}/node")
        if not isinstance(doc, dict) or doc.get("node_id") != node_id:
            raise PeerError(200, ErrorCode.REQUEST_MALFORMED, "not its identity document")
        return doc

    async def node_info(self, url: str) -> dict[str, Any]:
        """The node's identity document (id, name, url, versions): unsigned, so check the
        node id against what you expect (an invite, a link)."""
        resp = await self.transport.request("GET", url.rstrip("/") + f"{API}/node", {}, b"")
        doc = _answer(resp)
        if not isinstance(doc, dict) or not isinstance(doc.get("node_id"), str):
            raise PeerError(resp.status, ErrorCode.REQUEST_MALFORMED, "not an identity document")
        return doc

    async def link(
        self, url: str, peer: str, token: str, my_url: str, my_name: str
    ) -> dict[str, Any]:
        body = orjson.dumps({"token": token, "url": my_url, "name": my_name})
        doc = await self.call("POST", url, peer, f"{API}/link", body)
        return dict(doc)

    async def unlink(self, url: str, peer: str) -> None:
        await self.call("POST", url, peer, f"{API}/unlink", b"{}")

    async def inbox(
        self,
        peer: str,
        url: str,
        envelopes: Sequence[bytes],
        *,
        order: Sequence[OrderMark | None] | None = None,
    ) -> list[dict[str, Any]]:
        """POST a batch of canonical envelopes (with their circle positions, from a
        circle's home); one result per envelope, in order."""
        body = b'{"envelopes":[' + b",".join(envelopes) + b"]"
        if order is not None:
            marks = [None if m is None else {"pos": m.pos, "at": m.at} for m in order]
            body += b',"order":' + orjson.dumps(marks)
        body += b"}"
        doc = _typed(_RESULTS, await self.call_raw("POST", url, peer, f"{API}/inbox", body))
        return [msgspec.structs.asdict(r) for r in doc.results]

    async def order(
        self, peer: str, url: str, scope: str, after: int = 0, limit: int = 1000
    ) -> list[tuple[int, str, str]]:
        """A page of a circle's order past ``after``: (pos, envelope id, at)."""
        query = urlencode({"after": after, "limit": limit})
        resp = await self.call_raw("GET", url, peer, f"{scope_path(scope)}/order?{query}")
        return [(e.pos, e.id, e.at) for e in _typed(_ORDER, resp).order]

    async def heads(self, peer: str, url: str, scope: str) -> dict[str, int]:
        resp = await self.call_raw("GET", url, peer, scope_path(scope) + "/heads")
        return dict(_typed(_HEADS, resp).heads)

    async def feed_raw(
        self, peer: str, url: str, scope: str, author: str, after: int = 0, limit: int = 500
    ) -> list[bytes]:
        """A page of one author's feed in a scope, as canonical envelope bytes."""
        query = urlencode({"author": author, "after": after, "limit": limit})
        resp = await self.call_raw("GET", url, peer, f"{scope_path(scope)}/feed?{query}")
        if resp.status >= 400:
            _answer(resp)
        try:
            return decode_batch(_PAGE, resp.body)[1]
        except RemoteProtocolError as exc:
            raise PeerError(resp.status, exc.code, f"bad answer: {exc.message}") from None

    async def feed(
        self, peer: str, url: str, scope: str, author: str, after: int = 0, limit: int = 500
    ) -> list[Envelope]:
        """A page of a feed, each envelope parsed and verified."""
        out = []
        for raw in await self.feed_raw(peer, url, scope, author, after, limit):
            env = parse_envelope(raw)
            verify(env)
            out.append(env)
        return out


class _Page(msgspec.Struct):
    envelopes: list[msgspec.Raw]


_PAGE = msgspec.json.Decoder(_Page)


class _Result(msgspec.Struct):
    status: Literal["accepted", "duplicate", "gap", "rejected", "equivocation", "held"]
    id: str | None = None
    code: str | None = None
    message: str | None = None


class _Results(msgspec.Struct):
    results: list[_Result]


class _Heads(msgspec.Struct):
    heads: dict[str, Int]

    def __post_init__(self) -> None:
        if any(seq < 0 for seq in self.heads.values()):
            raise ValueError("a head is 0 or more")


AT_PATTERN = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?Z" + END


class _OrderEntry(msgspec.Struct):
    pos: Int
    id: Annotated[str, msgspec.Meta(pattern=f"^{HASH_PATTERN}{END}")]
    at: Annotated[str, msgspec.Meta(pattern=AT_PATTERN)]

    def __post_init__(self) -> None:
        if self.pos < 1:
            raise ValueError("a position is 1 or more")


class _Order(msgspec.Struct):
    order: list[_OrderEntry]


_ORDER = msgspec.json.Decoder(_Order)
_RESULTS = msgspec.json.Decoder(_Results)
_HEADS = msgspec.json.Decoder(_Heads)
T = TypeVar("T")


def _typed(decoder: msgspec.json.Decoder[T], resp: Response) -> T:
    """A successful answer decoded as the endpoint defines it, or PeerError."""
    if resp.status >= 400:
        _answer(resp)
    try:
        return decode(decoder, resp.body)
    except RemoteProtocolError as exc:
        raise PeerError(resp.status, exc.code, f"bad answer: {exc.message}") from None


def _not_from(peer: str, url: str, resp: Response, nonce: str) -> Exception | None:
    """Who answered instead of ``peer``, when that can be told: another node whose
    signature checks, or one that refused the request as meant for someone else; no
    node at all when the answer carries no signature. None: a bad signature it is."""
    claimed = resp.headers.get(SENDER, "")
    answered = response_signer(resp.headers, nonce, resp.status, resp.body)
    if answered is not None and answered != peer:
        return WrongNodeError(url, peer, answered, claimed)
    if _error_code(resp) == ErrorCode.AUTH_WRONG_DESTINATION:
        return WrongNodeError(url, peer, None, claimed)
    if not resp.headers.get(SIGNATURE):
        return UnsignedAnswerError(
            f"{url}: HTTP {resp.status} without a signature: no node answers there"
        )
    return None


def _error_code(resp: Response) -> str | None:
    try:
        doc = orjson.loads(resp.body)
    except orjson.JSONDecodeError:
        return None
    err = doc.get("error") if isinstance(doc, dict) else None
    return str(err.get("code")) if isinstance(err, dict) else None


def _answer(resp: Response) -> Any:
    """A successful answer as a JSON value inside the canonical subset (an integer beyond
    it is json.int_range), or the PeerError an error answer says."""
    if resp.status < 400:
        try:
            return loads(resp.body, max_bytes=MAX_RESPONSE_BYTES) if resp.body else {}
        except RemoteProtocolError as exc:
            raise PeerError(resp.status, exc.code, f"bad answer: {exc.message}") from None
    try:
        doc = orjson.loads(resp.body) if resp.body else {}
    except orjson.JSONDecodeError:
        raise PeerError(resp.status, ErrorCode.REQUEST_MALFORMED, "answer is not JSON") from None
    err = doc.get("error", {}) if isinstance(doc, dict) else {}
    raise PeerError(resp.status, str(err.get("code", "http")), str(err.get("message", "")))


__all__ = [
    "API",
    "PeerClient",
    "PeerError",
    "RemoteProtocolError",
    "UnsignedAnswerError",
    "WrongNodeError",
    "scope_path",
]
