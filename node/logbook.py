"""A circle's logbook: export it (JSON lines that verify offline, or a readable page) and
verify such an export without the node (PROTOCOL.md §13.6).

The JSON lines export holds, after a header line, every envelope of the circle's order
with its position (``{"pos", "at", "envelope"}``), then every logbook entry
(``{"entry": {...}}``). ``verify_export`` checks each envelope's signature, replays the
order through the same rules every node applies (authority, feeds, the governance state
machines) in a scratch database, and checks that the logbook it derives, hash chain
included, is the one exported.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import msgspec
import orjson

from node.domain.authority import check_authority
from node.domain.errors import DomainError
from node.store import SQLiteStore, Store, governance
from node.store.codec import envelope_from_row
from node.store.log import append_remote
from node.store.state import load_circle
from protocol import Envelope, ErrorCode, RemoteProtocolError, loads, open_envelope, scope_owner
from protocol.bodies import Int, decode


class LogbookError(Exception):
    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


_ENTRY_COLUMNS = ("n", "pos", "envelope", "kind", "at", "hash", "prev")


async def entries(store: Store, circle_id: str) -> list[dict[str, Any]]:
    rows = await store.fetchall(
        "SELECT n, pos, envelope_id, kind, at, hash, prev FROM logbook WHERE scope = ? ORDER BY n",
        (circle_id,),
    )
    return [dict(zip(_ENTRY_COLUMNS, r, strict=True)) for r in rows]


async def export_jsonl(store: Store, circle_id: str) -> list[bytes]:
    """The circle's logbook as JSON lines (each a JSON object, canonical envelopes)."""
    circle = await store.fetchone("SELECT name, home FROM circles WHERE id = ?", (circle_id,))
    if circle is None:
        raise LogbookError("logbook.unknown_circle", f"no circle {circle_id}")
    logged = await entries(store, circle_id)
    header = {
        "logbook": {
            "circle": circle_id,
            "name": circle[0],
            "home": circle[1],
            "entries": len(logged),
            "head": logged[-1]["hash"] if logged else None,
        }
    }
    lines = [orjson.dumps(header)]
    for pos, at, header_bytes, body in await store.fetchall(
        "SELECT o.pos, o.at, e.header, e.body FROM circle_order o JOIN envelopes e"
        " ON e.id = o.envelope_id WHERE o.scope = ? ORDER BY o.pos",
        (circle_id,),
    ):
        env = envelope_from_row(header_bytes, body)
        lines.append(
            b'{"at":'
            + orjson.dumps(at)
            + b',"envelope":'
            + env.to_bytes()
            + b',"pos":'
            + str(pos).encode()
            + b"}"
        )
    # The circle's other envelopes (messages), which feeds chain through.
    for header_bytes, body in await store.fetchall(
        "SELECT e.header, e.body FROM envelopes e WHERE e.scope = ? AND NOT EXISTS"
        " (SELECT 1 FROM circle_order o WHERE o.scope = e.scope AND o.envelope_id = e.id)"
        " ORDER BY e.rowid",
        (circle_id,),
    ):
        lines.append(b'{"envelope":' + envelope_from_row(header_bytes, body).to_bytes() + b"}")
    lines.extend(orjson.dumps({"entry": e}) for e in logged)
    return lines


_PAGE = jinja2.Environment(
    loader=jinja2.PackageLoader("node", "templates"),
    autoescape=jinja2.select_autoescape(default=True),
)


async def export_html(store: Store, circle_id: str) -> str:
    """A readable, printable page of the circle's logbook (every field escaped)."""
    circle = await store.fetchone("SELECT name, aim, home FROM circles WHERE id = ?", (circle_id,))
    if circle is None:
        raise LogbookError("logbook.unknown_circle", f"no circle {circle_id}")
    items = []
    for e in await entries(store, circle_id):
        row = await store.fetchone(
            "SELECT header, body FROM envelopes WHERE id = ?", (e["envelope"],)
        )
        env = envelope_from_row(row[0], row[1])
        items.append({**e, "actor": env.actor or env.author, "body": env.body or {}})
    titles = dict(
        await store.fetchall(
            "SELECT version_id, title FROM proposals WHERE circle_id = ?", (circle_id,)
        )
    )
    return _PAGE.get_template("logbook.html").render(
        circle={"id": circle_id, "name": circle[0], "aim": circle[1], "home": circle[2]},
        entries=items,
        titles=titles,
    )


# --- offline verification -----------------------------------------------------------------


def from_node_export(data: bytes, circle_id: str | None) -> bytes:
    """The lines ``verify_export`` takes, built from a whole node's ``nst export`` for one
    circle (the only one with an order, when ``circle_id`` is None). Such an export has
    no logbook entries: verifying it replays and reports the logbook it derives."""
    envelopes: dict[str, bytes] = {}
    scopes: dict[str, str] = {}
    order: dict[str, list[tuple[int, str, str]]] = {}
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        if line.startswith(b'{"circle_order":'):
            try:
                p = decode(_ORDER_LINE, line).circle_order
            except RemoteProtocolError as exc:
                raise _unreadable(exc, "logbook.bad_line", f"line {number}") from None
            order.setdefault(p.scope, []).append((p.pos, p.id, p.at))
            continue
        try:
            env, env_id = open_envelope(loads(line))
        except RemoteProtocolError as exc:
            raise _bad(str(exc.code), f"line {number}: {exc.message}") from None
        envelopes[env_id] = env.to_bytes()
        scopes[env_id] = env.scope
    if circle_id is None:
        if len(order) != 1:
            raise _bad("logbook.which_circle", f"the export holds {len(order)} circles; name one")
        circle_id = next(iter(order))
    if circle_id not in order:
        raise _bad("logbook.unknown_circle", f"the export holds no order of {circle_id}")
    lines = [orjson.dumps({"logbook": {"circle": circle_id, "entries": None}})]
    positioned = set()
    for pos, env_id, at in sorted(order[circle_id]):
        if env_id not in envelopes:
            raise _bad("logbook.bad_order", f"position {pos}: envelope {env_id} not in the export")
        positioned.add(env_id)
        lines.append(
            b'{"at":'
            + orjson.dumps(at)
            + b',"envelope":'
            + envelopes[env_id]
            + b',"pos":'
            + str(pos).encode()
            + b"}"
        )
    for env_id, raw in envelopes.items():
        if scopes[env_id] == circle_id and env_id not in positioned:
            lines.append(b'{"envelope":' + raw + b"}")
    return b"\n".join(lines)


@dataclass
class Report:
    circle: str
    envelopes: int = 0
    entries: int = 0
    head: str | None = None
    refused: list[tuple[int, str]] = field(default_factory=list)  # (pos, code)
    disputed: list[tuple[int, str]] = field(default_factory=list)


class _Line(msgspec.Struct, forbid_unknown_fields=True):
    envelope: msgspec.Raw
    at: str | None = None
    pos: Int | None = None


class _Position(msgspec.Struct):
    scope: str
    pos: Int
    id: str
    at: str


class _OrderLine(msgspec.Struct):
    circle_order: _Position


_LINE = msgspec.json.Decoder(_Line)
_ORDER_LINE = msgspec.json.Decoder(_OrderLine)


def _bad(code: str, message: str) -> LogbookError:
    return LogbookError(code, message)


def _unreadable(exc: RemoteProtocolError, code: str, where: str) -> LogbookError:
    """A line that cannot be read as its place in the file takes: ``code``, but for a
    number beyond the subset's range, which is json.int_range wherever it stands."""
    return _bad(exc.code if exc.code is ErrorCode.INT_RANGE else code, f"{where}: {exc.message}")


async def verify_export(data: bytes, scratch: Path | None = None) -> Report:
    """Verify a JSON lines export offline; raise LogbookError with the first fault."""
    lines = [line for line in data.split(b"\n") if line.strip()]
    if not lines:
        raise _bad("logbook.empty", "no lines")
    try:
        head = loads(lines[0])["logbook"]
        circle_id = str(head["circle"])
        home = scope_owner(circle_id)
    except RemoteProtocolError as exc:
        raise _unreadable(exc, "logbook.bad_header", "line 1, the header") from None
    except (KeyError, TypeError):
        raise _bad("logbook.bad_header", "line 1 is not a logbook header") from None
    ordered: list[tuple[int, str, Envelope, str]] = []
    others: list[tuple[Envelope, str]] = []
    exported: list[dict[str, Any]] = []
    for number, line in enumerate(lines[1:], start=2):
        if line.startswith(b'{"entry":'):
            try:
                exported.append(loads(line)["entry"])
            except RemoteProtocolError as exc:
                raise _unreadable(exc, "logbook.bad_entry", f"line {number}") from None
            except (KeyError, TypeError):
                raise _bad("logbook.bad_entry", f"line {number}: a bad entry") from None
            continue
        try:
            item = decode(_LINE, line)
        except RemoteProtocolError as exc:
            raise _unreadable(exc, "logbook.bad_line", f"line {number}") from None
        try:
            env, env_id = open_envelope(loads(bytes(item.envelope)))
        except RemoteProtocolError as exc:
            raise _bad(str(exc.code), f"line {number}: {exc.message}") from None
        if env.scope != circle_id:
            raise _bad("logbook.bad_line", f"line {number}: an envelope of another scope")
        if item.pos is None or item.at is None:
            others.append((env, env_id))
            continue
        if item.pos != len(ordered) + 1:
            raise _bad("logbook.bad_order", f"line {number}: position {item.pos} out of sequence")
        ordered.append((item.pos, item.at, env, env_id))
    _check_chain(exported)
    with tempfile.TemporaryDirectory(prefix="nst-logbook-", dir=scratch) as tmp:
        store = SQLiteStore(Path(tmp) / "replay.sqlite3", backup_dir=Path(tmp) / "backups")
        async with store:
            await store.write(lambda conn: _replay(conn, home, ordered, others))
            derived = await entries(store, circle_id)
            effects = await store.fetchall(
                "SELECT pos, status, code FROM gov_effects WHERE scope = ? AND status != 'applied'"
                " ORDER BY pos",
                (circle_id,),
            )
    if head.get("entries") is not None and derived != exported:
        at = next(
            (i for i, (d, e) in enumerate(zip(derived, exported, strict=False)) if d != e),
            min(len(derived), len(exported)),
        )
        raise _bad(
            "logbook.mismatch",
            f"entry {at + 1}: the exported logbook is not what its envelopes derive",
        )
    report = Report(circle_id, len(ordered), len(derived), derived[-1]["hash"] if derived else None)
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
            raise _bad("logbook.bad_entry", f"entry {i} is malformed") from None
        if e["n"] != i or e.get("prev") != prev or e.get("hash") != expected:
            raise _bad("logbook.bad_hash", f"entry {i} does not chain to the one before")
        prev = expected


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
        try:
            check_authority(env, load_circle(conn, env.scope), home)
        except RemoteProtocolError as exc:
            raise _bad(str(exc.code), f"{where}: {exc.message}") from None
        result = append_remote(conn, env, env_id, governance.parse_at(at))
        if result.status != "accepted":
            raise _bad(str(result.code or "logbook.bad_feed"), f"{where}: {result.message}")

    for pos, at, env, env_id in ordered:
        waiting = pool.get(env.author, [])
        while waiting and waiting[0][0].seq < env.seq:
            before, before_id = waiting.pop(0)
            put(before, before_id, at, f"seq {before.seq} of {before.author}")
        put(env, env_id, at, f"position {pos}")
        try:
            governance.record(conn, env.scope, pos, env_id, at)
        except (RemoteProtocolError, DomainError) as exc:
            raise _bad("logbook.bad_order", f"position {pos}: {exc}") from None
        governance.apply_pending(conn, env.scope)
