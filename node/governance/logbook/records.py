"""A circle's logbook in words people can use (the printable page, PROTOCOL.md §13.6):
for each decision the adopted text, its statement and rationale, the objections and
concerns and how each was met, who consented and who was silent; for each selection
the role, the person and the term; for each meeting its attendees. People by name:
a member of this node by their display name, anyone else by handle and organization."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from node.store import Store


@dataclass(frozen=True, slots=True)
class Names:
    """Who an actor (``handle@node``) is, in words."""

    self_id: str | None
    people: Mapping[str, str]  # this node's handles -> display names
    orgs: Mapping[str, str]  # node id -> organization name

    def __call__(self, actor: str) -> str:
        handle, _, node = actor.partition("@")
        if not node:  # a node itself
            return self.org(actor)
        if node == self.self_id and handle in self.people:
            return self.people[handle]
        return f"{handle} ({self.org(node)})"

    def org(self, node: str) -> str:
        return self.orgs.get(node) or node[8:16]


async def names_of(store: Store, self_id: str | None, orgs: Mapping[str, str]) -> Names:
    """The names this node knows: its members' and its peers' organizations."""
    people = dict(await store.fetchall("SELECT handle, display_name FROM members"))
    peers = {n: name for n, name in await store.fetchall("SELECT node_id, name FROM peers") if name}
    return Names(self_id, people, {**peers, **orgs})


async def _bodies(store: Store, ids: list[str]) -> dict[str, tuple[str | None, dict[str, Any]]]:
    """envelope id -> (its actor or author, its body) for those of ``ids`` held."""
    out: dict[str, tuple[str | None, dict[str, Any]]] = {}
    for i in range(0, len(ids), 500):
        chunk = ids[i : i + 500]
        marks = ",".join("?" * len(chunk))
        for env_id, actor, author, raw in await store.fetchall(
            f"SELECT id, actor, author, body FROM envelopes WHERE id IN ({marks})",  # noqa: S608
            chunk,
        ):
            out[env_id] = (actor or author, orjson.loads(raw) if raw is not None else {})
    return out


async def records(store: Store, circle_id: str, names: Names) -> list[dict[str, Any]]:
    """Every logbook entry of the circle, oldest first, as a record in words."""
    rows = await store.fetchall(
        "SELECT l.n, l.kind, l.at, l.hash, e.id, e.actor, e.author, e.body FROM logbook l"
        " JOIN envelopes e ON e.id = l.envelope_id WHERE l.scope = ? ORDER BY l.n",
        (circle_id,),
    )
    entries = [
        (n, kind, at, hash_, env_id, actor or author, orjson.loads(raw) if raw else {})
        for n, kind, at, hash_, env_id, actor, author, raw in rows
    ]
    # Everything the entries name, read at once: versions, stances, elections, meetings.
    wanted: list[str] = []
    for _, kind, _, _, _, _, body in entries:
        if kind == "decision":
            wanted += [body.get("proposal", ""), *body.get("stances", [])]
            wanted += body.get("tests", [])
            for r in body.get("resolutions", []):
                wanted += [r["objection"], r["version"]]
        elif kind == "selection":
            wanted.append(body.get("selection", ""))
        elif kind in ("minutes", "correction"):
            wanted.append(body.get("meeting", ""))
    held = await _bodies(store, [w for w in dict.fromkeys(wanted) if w])
    out = []
    for n, kind, at, hash_, env_id, actor, body in entries:
        record: dict[str, Any] = {
            "n": n,
            "kind": kind,
            "at": at,
            "hash": hash_,
            "envelope_id": env_id,
            "by": names(actor),
        }
        if kind == "decision":
            record.update(_decision(body, held, names))
        elif kind == "selection":
            opened = held.get(body.get("selection", ""), (None, {}))[1]
            record.update(
                role=opened.get("role", ""),
                person=names(body.get("candidate", "")),
                term_start=body.get("term_start"),
                term_end=body.get("term_end"),
            )
        elif kind in ("minutes", "correction"):
            scheduled = held.get(body.get("meeting", ""), (None, {}))[1]
            record.update(
                title=scheduled.get("title", "Meeting"),
                starts=scheduled.get("starts"),
                attendees=[names(a) for a in body.get("attendance", [])],
                guests=list(body.get("guests", [])),
                approves=bool(body.get("approves")),
                note=body.get("note", ""),
                actions=[
                    {"what": a["what"], "owner": names(a["owner"]), "due": a.get("due")}
                    for item in body.get("items", [])
                    for a in item.get("actions", [])
                ],
            )
        else:
            record.update(name=body.get("name", ""), aim=body.get("aim", ""))
        out.append(record)
    return out


def _decision(
    body: dict[str, Any], held: Mapping[str, tuple[str | None, dict[str, Any]]], names: Names
) -> dict[str, Any]:
    version = held.get(body.get("proposal", ""), (None, {}))[1]
    consented: list[str] = []
    concerns: list[dict[str, Any]] = []
    objections: list[dict[str, Any]] = []
    aside: list[dict[str, Any]] = []
    recorded: list[dict[str, Any]] = []
    for stance_id in body.get("stances", []):
        who, stance = held.get(stance_id, (None, {}))
        # A stance the secretary recorded in a meeting speaks for its `member` (§13.2).
        name = names(stance.get("member") or who or "")
        if stance.get("member"):
            recorded.append({"who": name, "secretary": names(who or "")})
        value = stance.get("stance")
        if value == "consent":
            consented.append(name)
        elif value == "concern":
            concerns.append({"who": name, "reason": stance.get("reason", "")})
        elif value == "stand_aside":
            aside.append({"who": name, "reason": stance.get("reason", "")})
        elif value == "object":
            objections.append({"who": name, "reason": stance.get("reason", ""), "how": ""})
    tested = []
    for test_id in body.get("tests", []):
        test = held.get(test_id, (None, {}))[1].get("test") or {}
        who, stance = held.get(test.get("objection", ""), (None, {}))
        tested.append(
            {
                "who": names(stance.get("member") or who or ""),
                "valid": bool(test.get("valid")),
                "reason": test.get("reason", ""),
            }
        )
    for r in body.get("resolutions", []):
        who, stance = held.get(r["objection"], (None, {}))
        integrated = held.get(r["version"], (None, {}))[1]
        objections.append(
            {
                "who": names(who or ""),
                "reason": stance.get("reason", ""),
                "how": r.get("how", ""),
                "version": integrated.get("version"),
            }
        )
    return {
        "outcome": body.get("outcome", ""),
        "title": version.get("title", ""),
        "text": version.get("text", ""),
        "version": version.get("version", 1),
        "statement": body.get("statement", ""),
        "rationale": body.get("rationale", ""),
        "review_date": body.get("review_date"),
        "measures": body.get("measures", []),
        "objections": objections,
        "concerns": concerns,
        "consented": consented,
        "stood_aside": aside,
        "recorded": recorded,
        "tested": tested,
        "silent": [names(a) for a in body.get("silent", [])],
    }
