"""Verify a circle's logbook export, or one circle's history in a whole node's export,
without the node (PROTOCOL.md §13.6).

``verify_export`` checks the trailer and each envelope's signature, replays the order
through the same rules every node applies (authority, feeds, the governance state
machines) in a scratch database, and checks that the logbook it derives, hash chain
included, is the one exported.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec

from node import trailer
from node.domain.authority import check_authority
from node.domain.errors import DomainError
from node.governance.logbook.export import LogbookError, entries
from node.store import SQLiteStore, governance
from node.store.home_moves import is_move
from node.store.log import append_remote
from node.store.state import load_circle
from node.trailer import Tally, Trailer
from protocol import Envelope, ErrorCode, RemoteProtocolError, loads, open_envelope, scope_owner
from protocol.bodies import Int, decode


@dataclass
class Report:
    circle: str
    envelopes: int = 0
    entries: int = 0
    head: str | None = None
    refused: list[tuple[int, str]] = field(default_factory=list)  # (pos, code)
    disputed: list[tuple[int, str]] = field(default_factory=list)
    signer: str | None = None  # None: an unsigned export, or the node's own data
    signed_at: str | None = None


@dataclass
class _History:
    """What a replay of one circle takes, read from an export."""

    circle: str
    ordered: list[tuple[int, str, Envelope, str]] = field(default_factory=list)
    others: list[tuple[Envelope, str]] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)
    has_logbook: bool = True  # False: a node's export, whose logbook the replay gives


class _Line(msgspec.Struct, forbid_unknown_fields=True):
    envelope: msgspec.Raw
    at: str | None = None
    pos: Int | None = None


class _Position(msgspec.Struct, forbid_unknown_fields=True):
    scope: str
    pos: Int
    id: str
    at: str


class _OrderLine(msgspec.Struct, forbid_unknown_fields=True):
    circle_order: _Position


_LINE = msgspec.json.Decoder(_Line)
_ORDER_LINE = msgspec.json.Decoder(_OrderLine)


class _Header(msgspec.Struct):
    circle: str
    entries: Int
    head: str | None


def _bad(code: ErrorCode, message: str) -> LogbookError:
    return LogbookError(code, message)


def _unreadable(exc: RemoteProtocolError, code: ErrorCode, where: str) -> LogbookError:
    """A line that cannot be read as its place in the file takes: ``code``, but for a
    number beyond the subset's range, which is json.int_range wherever it stands."""
    return _bad(exc.code if exc.code is ErrorCode.INT_RANGE else code, f"{where}: {exc.message}")


def _open_trailer(
    data: bytes, export: str, signer: str | None, unsigned: bool
) -> tuple[list[tuple[int, bytes]], Trailer | None]:
    """The numbered lines before the trailer, and the trailer, its signature checked.
    An export without one is refused unless ``unsigned`` (then nothing proves that it
    is complete)."""
    try:
        body, last = trailer.split(data.split(b"\n"))
        if last is None:
            if unsigned:
                return body, None
            raise RemoteProtocolError(
                ErrorCode.EXPORT_UNSIGNED,
                "the export has no signed trailer (made before exports were signed, or its"
                " end was cut off); export it again, or verify it with --allow-unsigned",
            )
        return body, trailer.read_trailer(last, export, signer)
    except RemoteProtocolError as exc:
        raise _bad(exc.code, exc.message) from None


def _sealed(found: Trailer | None, tally: Tally, check: Callable[[], None]) -> None:
    """Completeness against the trailer, then ``check`` (the header's claims), then the
    digest: the specific faults are named before the catch-all."""
    try:
        if found is not None:
            trailer.check_complete(found, tally)
        check()
        if found is not None:
            trailer.check_digest(found, tally)
    except RemoteProtocolError as exc:
        raise _bad(exc.code, exc.message) from None


async def verify_export(
    data: bytes,
    *,
    circle: str | None = None,
    signer: str | None = None,
    unsigned: bool = False,
    scratch: Path | None = None,
) -> Report:
    """Verify a ``nst logbook export`` offline; raise LogbookError with the first fault.
    ``signer`` names the node the export must be signed by; ``unsigned`` accepts one
    without a trailer (the node's own data, or an export of an older version)."""
    body, found = _open_trailer(data, "logbook", signer, unsigned)
    if not body:
        raise _bad(ErrorCode.LOGBOOK_EMPTY, "no lines")
    number, first = body[0]
    try:
        # Read in the subset first: a number beyond it is json.int_range even in a member
        # the header does not define.
        head = msgspec.convert(loads(first), dict[str, _Header])["logbook"]
        home = scope_owner(head.circle)
    except RemoteProtocolError as exc:
        raise _unreadable(exc, ErrorCode.LOGBOOK_BAD_HEADER, f"line {number}, the header") from None
    except (msgspec.ValidationError, KeyError) as exc:
        raise _bad(
            ErrorCode.LOGBOOK_BAD_HEADER, f"line {number} is not a logbook header: {exc}"
        ) from None
    if circle is not None and head.circle != circle:
        raise _bad(ErrorCode.LOGBOOK_UNKNOWN_CIRCLE, f"the file is not {circle}'s")
    tally = Tally()
    history = _History(head.circle)
    try:
        tally.line("header", first, number)
        for number, line in body[1:]:
            _read_line(history, tally, number, line)
    except RemoteProtocolError as exc:
        raise _bad(exc.code, exc.message) from None
    exported = history.entries
    _check_chain(exported)

    def header_holds() -> None:
        if head.entries != len(exported):
            raise _bad(
                ErrorCode.LOGBOOK_COUNT_MISMATCH,
                f"the header counts {head.entries} entries; the export holds {len(exported)}",
            )
        last = exported[-1]["hash"] if exported else None
        if head.head != last:
            raise _bad(
                ErrorCode.LOGBOOK_HEAD_MISMATCH,
                f"the header's head {head.head} is not the last entry's hash {last}",
            )

    _sealed(found, tally, header_holds)
    return _signed_by(await _replay_history(history, home, scratch), found)


def _read_line(history: _History, tally: Tally, number: int, line: bytes) -> None:
    """One line after the header of a logbook export, into ``history``."""
    if line.startswith(b'{"entry":'):
        tally.line("entry", line, number)
        try:
            entry = loads(line)["entry"]
        except RemoteProtocolError as exc:
            raise _unreadable(exc, ErrorCode.LOGBOOK_BAD_LINE, f"line {number}") from None
        except (KeyError, TypeError):
            raise _bad(ErrorCode.LOGBOOK_BAD_LINE, f"line {number}: a bad entry line") from None
        history.entries.append(entry)
        return
    try:
        item = decode(_LINE, line)
    except RemoteProtocolError as exc:
        raise _unreadable(exc, ErrorCode.LOGBOOK_BAD_LINE, f"line {number}") from None
    try:
        env, env_id = open_envelope(loads(bytes(item.envelope)))
        if item.at is not None:
            governance.parse_at(item.at)
    except ValueError as exc:
        raise _bad(ErrorCode.LOGBOOK_BAD_LINE, f"line {number}: {exc}") from None
    except RemoteProtocolError as exc:
        raise _bad(exc.code, f"line {number}: {exc.message}") from None
    if env.scope != history.circle:
        raise _bad(ErrorCode.LOGBOOK_BAD_LINE, f"line {number}: an envelope of another scope")
    tally.envelope(env, env_id)
    if item.pos is None or item.at is None:
        tally.line("envelope", line, number)
        history.others.append((env, env_id))
        return
    tally.line("position", line, number)
    if item.pos != len(history.ordered) + 1:
        raise _bad(
            ErrorCode.LOGBOOK_BAD_ORDER, f"line {number}: position {item.pos} out of sequence"
        )
    tally.position(history.circle, item.pos, env_id, item.at)
    history.ordered.append((item.pos, item.at, env, env_id))


async def verify_node_export(
    data: bytes,
    circle: str | None,
    *,
    signer: str | None = None,
    unsigned: bool = False,
    scratch: Path | None = None,
) -> Report:
    """Verify one circle's history in a whole node's ``nst export`` (the only circle with
    an order, when ``circle`` is None): the export's trailer, then a replay like
    ``verify_export``'s. Such an export has no logbook lines: the report gives the
    logbook the replay derives."""
    body, found = _open_trailer(data, "node", signer, unsigned)
    tally = Tally()
    envelopes: dict[str, tuple[Envelope, str]] = {}
    order: dict[str, list[tuple[int, str, str]]] = {}
    for number, line in body:
        try:
            if line.startswith(b'{"circle_order":'):
                tally.line("circle_order", line, number)
                try:
                    p = decode(_ORDER_LINE, line).circle_order
                    governance.parse_at(p.at)
                except RemoteProtocolError as exc:
                    raise _unreadable(exc, ErrorCode.LOGBOOK_BAD_LINE, f"line {number}") from None
                except ValueError:
                    raise _bad(
                        ErrorCode.LOGBOOK_BAD_LINE, f"line {number}: a bad circle_order line"
                    ) from None
                tally.position(p.scope, p.pos, p.id, p.at)
                order.setdefault(p.scope, []).append((p.pos, p.id, p.at))
                continue
            if line.startswith(b'{"equivocation":'):
                tally.line("equivocation", line, number)  # evidence: nst import checks it
                continue
            tally.line("envelope", line, number)
            env, env_id = open_envelope(loads(line))
        except RemoteProtocolError as exc:
            raise _bad(exc.code, f"line {number}: {exc.message}") from None
        tally.envelope(env, env_id)
        envelopes[env_id] = (env, env_id)
    _sealed(found, tally, lambda: None)
    if circle is None:
        if len(order) != 1:
            raise _bad(
                ErrorCode.LOGBOOK_WHICH_CIRCLE, f"the export holds {len(order)} circles; name one"
            )
        circle = next(iter(order))
    if circle not in order:
        raise _bad(ErrorCode.LOGBOOK_UNKNOWN_CIRCLE, f"the export holds no order of {circle}")
    try:
        home = scope_owner(circle)
    except RemoteProtocolError as exc:
        raise _bad(exc.code, exc.message) from None
    history = _History(circle, has_logbook=False)
    for pos, env_id, at in sorted(order[circle]):
        if pos != len(history.ordered) + 1:
            raise _bad(ErrorCode.LOGBOOK_BAD_ORDER, f"position {pos} out of sequence")
        if env_id not in envelopes:
            raise _bad(
                ErrorCode.LOGBOOK_BAD_ORDER,
                f"position {pos}: {env_id} is not in the export, or at another position too",
            )
        env, _ = envelopes.pop(env_id)
        history.ordered.append((pos, at, env, env_id))
    history.others = [e for e in envelopes.values() if e[0].scope == circle]
    return _signed_by(await _replay_history(history, home, scratch), found)


def _signed_by(report: Report, found: Trailer | None) -> Report:
    if found is not None:
        report.signer, report.signed_at = found.signer, found.signed_at
    return report


async def _replay_history(history: _History, home: str, scratch: Path | None) -> Report:
    """Replay the history in a scratch database; compare the logbook it derives with the
    exported one (when the export has one)."""
    circle_id = history.circle
    with tempfile.TemporaryDirectory(prefix="nst-logbook-", dir=scratch) as tmp:
        store = SQLiteStore(Path(tmp) / "replay.sqlite3", backup_dir=Path(tmp) / "backups")
        async with store:
            await store.write(lambda conn: _replay(conn, home, history.ordered, history.others))
            derived = await entries(store, circle_id)
            effects = await store.fetchall(
                "SELECT pos, status, code FROM gov_effects WHERE scope = ? AND status != 'applied'"
                " ORDER BY pos",
                (circle_id,),
            )
    exported = history.entries
    if history.has_logbook and derived != exported:
        at = next(
            (i for i, (d, e) in enumerate(zip(derived, exported, strict=False)) if d != e),
            min(len(derived), len(exported)),
        )
        raise _bad(
            ErrorCode.LOGBOOK_MISMATCH,
            f"entry {at + 1}: the exported logbook is not what its envelopes derive",
        )
    report = Report(
        circle_id, len(history.ordered), len(derived), derived[-1]["hash"] if derived else None
    )
    for pos, status, code in effects:
        (report.disputed if status == "disputed" else report.refused).append((pos, code))
    return report


def _check_chain(exported: Sequence[dict[str, Any]]) -> None:
    prev = None
    for i, e in enumerate(exported, start=1):
        try:
            expected = governance.logbook_hash(
                prev, int(e["n"]), int(e["pos"]), str(e["envelope"]), str(e["kind"]), str(e["at"])
            )
        except (KeyError, TypeError, ValueError):
            raise _bad(ErrorCode.LOGBOOK_BAD_ENTRY, f"entry {i} is malformed") from None
        if e["n"] != i or e.get("prev") != prev or e.get("hash") != expected:
            raise _bad(ErrorCode.LOGBOOK_BAD_HASH, f"entry {i} does not chain to the one before")
        prev = expected


_NO_ORDER = "0001-01-01T00:00:00Z"  # no position to take a time from: authority refuses


def _replay(
    conn: sqlite3.Connection,
    home: str,
    ordered: list[tuple[int, str, Envelope, str]],
    others: list[tuple[Envelope, str]],
) -> None:
    """Every envelope through authority, its feed and its state machine, in the order;
    the unordered ones of a feed go in just before the ordered one that follows them."""
    pool: dict[str, list[tuple[Envelope, str]]] = {}
    for env, env_id in sorted(others, key=lambda o: (o[0].author, o[0].seq)):
        pool.setdefault(env.author, []).append((env, env_id))

    def put(env: Envelope, env_id: str, at: str, where: str) -> None:
        circle = load_circle(conn, env.scope)
        if circle is not None and is_move(circle, env):
            # A move of the home without it (§13.15): its votes are judged at its position.
            circle = dataclasses.replace(circle, home=env.author)
        try:
            check_authority(env, circle, home)
        except RemoteProtocolError as exc:
            raise _bad(exc.code, f"{where}: {exc.message}") from None
        result = append_remote(conn, env, env_id, governance.parse_at(at))
        if result.status != "accepted":
            code = result.code or ErrorCode.LOGBOOK_BAD_FEED
            raise LogbookError(code, f"{where}: {result.message or result.status}")

    named = {env_id: env for items in pool.values() for env, env_id in items}
    for pos, at, env, env_id in ordered:
        for ref in env.refs if env.kind == "circle" else ():
            # A move of the home without it names votes of other feeds: they come first.
            vote = named.get(ref)
            waiting = pool.get(vote.author, []) if vote is not None else []
            while vote is not None and waiting and waiting[0][0].seq <= vote.seq:
                before, before_id = waiting.pop(0)
                put(before, before_id, at, f"seq {before.seq} of {before.author}")
        waiting = pool.get(env.author, [])
        while waiting and waiting[0][0].seq < env.seq:
            before, before_id = waiting.pop(0)
            put(before, before_id, at, f"seq {before.seq} of {before.author}")
        put(env, env_id, at, f"position {pos}")
        try:
            governance.record(conn, env.scope, pos, env_id, at)
        except (RemoteProtocolError, DomainError) as exc:
            raise _bad(ErrorCode.LOGBOOK_BAD_ORDER, f"position {pos}: {exc}") from None
        governance.apply_pending(conn, env.scope)
    # Envelopes after the last position (the latest messages) pass the same checks.
    last_at = ordered[-1][1] if ordered else _NO_ORDER
    for waiting in pool.values():
        for env, env_id in waiting:
            put(env, env_id, last_at, f"seq {env.seq} of {env.author}")
