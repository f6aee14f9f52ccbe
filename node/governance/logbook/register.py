"""A circle's policy register: the decisions in force (adopted, not replaced, not retired)
and which decision replaced which (PROTOCOL.md §13.4, §8.4). A review renewed by
consent replaces the reviewed decision; a review withdrawn retires it; an adopted
proposal whose adopted version names ``replaces`` replaces that decision. Derived from
the proposals the circle order made, so every node holds the same register."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from node.store import Store


@dataclass(frozen=True, slots=True)
class Policy:
    decision_id: str
    root: str
    title: str
    at: str  # when it was adopted
    statement: str
    review_date: str | None


@dataclass(frozen=True, slots=True)
class Replacement:
    old: Policy
    new: Policy | None  # None: retired by a review that withdrew it
    how: str  # "renewed", "replaced" or "retired"


@dataclass(frozen=True, slots=True)
class Register:
    in_force: list[Policy] = field(default_factory=list)
    replaced: list[Replacement] = field(default_factory=list)


async def register(store: Store, circle_id: str) -> Register:
    """The circle's policy register, oldest decision first."""
    rows = await store.fetchall(
        "SELECT p.root, p.title, p.outcome, p.decision_id, p.review_date, o.at, d.body, r.body,"
        " v.body FROM proposals p JOIN envelopes r ON r.id = p.root"
        " LEFT JOIN envelopes d ON d.id = p.decision_id"
        " LEFT JOIN circle_order o ON o.envelope_id = p.decision_id"
        " LEFT JOIN envelopes v ON v.id = p.version_id"
        " WHERE p.circle_id = ? AND p.outcome IS NOT NULL ORDER BY o.pos",
        (circle_id,),
    )
    adopted: dict[str, Policy] = {}
    links: list[tuple[str, str | None, str]] = []  # (old decision, new decision, how)
    for root, title, outcome, decision, review_date, at, d_raw, r_raw, v_raw in rows:
        first = _body(r_raw)
        reviewed = first.get("review_of")
        if outcome == "adopted" and decision is not None:
            statement = str(_body(d_raw).get("statement", ""))
            adopted[decision] = Policy(decision, root, title, at or "", statement, review_date)
            if reviewed:
                links.append((reviewed, decision, "renewed"))
            replaces = _body(v_raw).get("replaces")
            if replaces and replaces != reviewed:
                links.append((replaces, decision, "replaced"))
        elif outcome == "withdrawn" and reviewed:
            links.append((reviewed, None, "retired"))
    ended: set[str] = set()
    replaced = []
    for old, new, how in links:
        if old in adopted and old not in ended:
            ended.add(old)
            replaced.append(Replacement(adopted[old], adopted.get(new or ""), how))
    in_force = [p for d, p in adopted.items() if d not in ended]
    return Register(in_force, replaced)


def _body(raw: bytes | None) -> dict[str, Any]:
    if raw is None:
        return {}
    found = orjson.loads(raw)
    return found if isinstance(found, dict) else {}
