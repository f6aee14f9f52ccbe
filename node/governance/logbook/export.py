"""Export a circle's logbook: JSON lines that verify offline, or a readable page; and the
logbook as the web UI shows it (``Logbook``, a part of ``node.gov``).

The JSON lines export holds, after a header line, every envelope of the circle's order
with its position (``{"pos", "at", "envelope"}``), the circle's other envelopes, every
logbook entry (``{"entry": {...}}``), and last the exporting node's signed trailer
(``node.trailer``), which commits to all of it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import jinja2
import orjson
from nacl.signing import SigningKey

from node.governance.logbook.records import names_of, records
from node.governance.logbook.register import Register, register
from node.governance.process import Process
from node.store import Store
from node.store.codec import envelope_from_row
from node.trailer import Tally, sign_trailer
from protocol import ErrorCode, format_ts


class LogbookError(Exception):
    """An export that does not verify (or a circle that is not there), with its code."""

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


async def export_jsonl(
    store: Store, circle_id: str, key: SigningKey | None = None, now: dt.datetime | None = None
) -> list[bytes]:
    """The circle's logbook as JSON lines (each a JSON object, canonical envelopes),
    closed by a trailer signed with ``key`` at ``now`` (none without a key: the node's
    own data, verified in place)."""
    circle = await store.fetchone("SELECT name, home FROM circles WHERE id = ?", (circle_id,))
    if circle is None:
        raise LogbookError(ErrorCode.LOGBOOK_UNKNOWN_CIRCLE, f"no circle {circle_id}")
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
    tally = Tally()
    lines: list[bytes] = []

    def add(kind: str, line: bytes) -> None:
        tally.line(kind, line)
        lines.append(line)

    add("header", orjson.dumps(header))
    for pos, at, env_id, header_bytes, body in await store.fetchall(
        "SELECT o.pos, o.at, e.id, e.header, e.body FROM circle_order o JOIN envelopes e"
        " ON e.id = o.envelope_id WHERE o.scope = ? ORDER BY o.pos",
        (circle_id,),
    ):
        env = envelope_from_row(header_bytes, body)
        tally.envelope(env, env_id)
        tally.position(circle_id, pos, env_id, at)
        add(
            "position",
            b'{"at":'
            + orjson.dumps(at)
            + b',"envelope":'
            + env.to_bytes()
            + b',"pos":'
            + str(pos).encode()
            + b"}",
        )
    # The circle's other envelopes (messages), which feeds chain through.
    for env_id, header_bytes, body in await store.fetchall(
        "SELECT e.id, e.header, e.body FROM envelopes e WHERE e.scope = ? AND NOT EXISTS"
        " (SELECT 1 FROM circle_order o WHERE o.scope = e.scope AND o.envelope_id = e.id)"
        " ORDER BY e.rowid",
        (circle_id,),
    ):
        env = envelope_from_row(header_bytes, body)
        tally.envelope(env, env_id)
        add("envelope", b'{"envelope":' + env.to_bytes() + b"}")
    for e in logged:
        add("entry", orjson.dumps({"entry": e}))
    if key is not None:
        signed_at = format_ts(now if now is not None else dt.datetime.now(dt.UTC))
        lines.append(sign_trailer(tally, "logbook", key, signed_at))
    return lines


_PAGE = jinja2.Environment(
    loader=jinja2.PackageLoader("node", "templates"),
    autoescape=jinja2.select_autoescape(default=True),
)


async def counted(store: Store, decision: Any) -> list[dict[str, Any]]:
    """The stances a decision counted: whose, which, and whether the secretary
    recorded it in a meeting (so the logbook says who stood aside, and how)."""
    ids = list((decision or {}).get("stances", []))
    if not ids:
        return []
    marks = ", ".join("?" * len(ids))
    rows = await store.fetchall(
        f"SELECT actor, author, body FROM envelopes WHERE id IN ({marks})"  # noqa: S608
        " AND kind = 'stance' ORDER BY id",
        tuple(ids),
    )
    found = []
    for actor, author, raw in rows:
        body = orjson.loads(raw) if raw is not None else {}
        member = body.get("member")
        found.append(
            {
                "member": member or actor or author,
                "value": body.get("stance"),
                "recorded_by": (actor or author) if member else None,
            }
        )
    return found


async def export_html(
    store: Store,
    circle_id: str,
    *,
    self_id: str | None = None,
    orgs: Mapping[str, str] | None = None,
) -> str:
    """A readable, printable page of the circle's logbook (every field escaped): each
    record in words (``records``), people by name as this node knows them."""
    circle = await store.fetchone("SELECT name, aim, home FROM circles WHERE id = ?", (circle_id,))
    if circle is None:
        raise LogbookError(ErrorCode.LOGBOOK_UNKNOWN_CIRCLE, f"no circle {circle_id}")
    names = await names_of(store, self_id, orgs or {})
    return _PAGE.get_template("logbook.html").render(
        circle={"id": circle_id, "name": circle[0], "aim": circle[1], "home": names.org(circle[2])},
        entries=await records(store, circle_id, names),
    )


class Logbook(Process):
    """A circle's logbook as the web UI shows it and its members download it."""

    async def logbook_export(self, circle_id: str, fmt: str) -> bytes:
        """The circle's logbook as JSON lines (``jsonl``, signed by this node) or a
        printable page (``html``)."""
        if fmt == "html":
            node = self.node
            page = await export_html(
                node.store, circle_id, self_id=node.node_id, orgs=node.org_names()
            )
            return page.encode()
        node = self.node
        lines = await export_jsonl(node.store, circle_id, node.key, node.clock.now())
        return b"".join(line + b"\n" for line in lines)

    async def policy_register(self, circle_id: str) -> Register:
        """The circle's decisions in force, and which replaced which."""
        return await register(self.node.store, circle_id)

    async def logbook(self, circle_id: str) -> list[dict[str, Any]]:
        """The circle's logbook entries, oldest first, each with its envelope's body."""
        out = []
        for n, pos, env_id, kind, at, hash_, prev, header, body in await self.node.store.fetchall(
            "SELECT l.n, l.pos, l.envelope_id, l.kind, l.at, l.hash, l.prev, e.header, e.body"
            " FROM logbook l JOIN envelopes e ON e.id = l.envelope_id WHERE l.scope = ?"
            " ORDER BY l.n",
            (circle_id,),
        ):
            env = envelope_from_row(header, body)
            out.append(
                {
                    "n": n,
                    "pos": pos,
                    "envelope_id": env_id,
                    "kind": kind,
                    "at": at,
                    "hash": hash_,
                    "prev": prev,
                    "author": env.author,
                    "actor": env.actor,
                    "body": env.body,
                    "counted": await counted(self.node.store, env.body)
                    if kind == "decision"
                    else [],
                }
            )
        return out
