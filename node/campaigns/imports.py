"""Campaign targets read from files: the shapes every import format yields, the checks of a
target body the protocol will make, and the plan of what an import would change.

Pure: functions over text and dicts, no I/O. The formats (``imports_csv``,
``imports_openstates``) turn a file into target bodies in the JSON shape of the campaign
``target`` object (without ``campaign`` and ``ref``, which the service adds), each with
the file and line it came from; a file with any problem yields its problems and no
record. ``plan_import`` then matches records to a campaign's existing targets: by a
shared external id, else by name, office type and place.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

#: A target body (or part of one) in the JSON shape of the protocol's ``target`` object.
Body = dict[str, Any]
#: The keys by which a target is recognised again: ``id:<scheme>:<value>`` for each
#: external id, ``name:…`` and ``division:…`` for who holds which office where.
MatchKeys = frozenset[str]

# A body's fields in the protocol's order, each with its value when a file says nothing.
DEFAULTS: Mapping[str, Any] = {
    "name": "",
    "given_name": "",
    "family_name": "",
    "office_type": "",
    "title": "",
    "jurisdiction": "",
    "ocd_division": None,
    "party": "",
    "term_start": None,
    "term_end": None,
    "offices": [],
    "email": "",
    "contact_form": None,
    "website": None,
    "platform_url": None,
    "photo_url": None,
    "positions": [],
    "sources": [],
    "ids": [],
    "candidacy": None,
    "notes": "",
}
TARGET_FIELDS: tuple[str, ...] = tuple(DEFAULTS)

# The protocol's bounds (protocol/schemas.py and the campaign note): Name, Short, Text.
NAME_MAX, SHORT_MAX, TEXT_MAX, URL_MAX, DIVISION_MAX = 200, 500, 20000, 2000, 300
MAX_OFFICES, MAX_POSITIONS, MAX_SOURCES, MAX_IDS = 20, 100, 50, 20
# END, not a dollar sign: "$" also matches before a final line feed.
_END = r"(?![\s\S])"
OFFICE_TYPE = re.compile(r"^[a-z][a-z0-9_]{0,39}" + _END)
URL = re.compile(r"^https?://\S+" + _END)
OCD_DIVISION = re.compile(r"^ocd-division/country:[a-z]{2}(/[a-z_]+:[^/\s]+)*" + _END)
DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}" + _END)
RESULTS = ("pending", "won", "lost")
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a file, or one row or key of it, cannot be imported, in plain words."""

    file: str
    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class ParsedTarget:
    """One official read from a file: ``body`` is a whole target body (defaults where the
    file says nothing); ``fields`` are the ones the file gave, the only ones an import
    changes on a target that already exists."""

    file: str
    line: int
    keys: MatchKeys
    body: Body
    fields: frozenset[str]


@dataclass(slots=True)
class ImportResult:
    """What files yielded: the records of the files without problems, and the problems."""

    records: list[ParsedTarget] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    def extend(self, other: ImportResult) -> None:
        """Adds another file's result to this one (an import of several files)."""
        self.records.extend(other.records)
        self.problems.extend(other.problems)


# A place in a body that a check names: a field, then list indexes and sub-fields.
Path = tuple[str | int, ...]


def check_target(body: Mapping[str, Any]) -> list[tuple[Path, str]]:
    """Every way ``body`` breaks the protocol's ``target`` rules, as (place, reason)."""
    out: list[tuple[Path, str]] = []

    def text(path: Path, value: Any, most: int, least: int = 0) -> None:
        if not isinstance(value, str):
            out.append((path, "must be text"))
        elif len(value) < least:
            out.append((path, "must not be empty"))
        elif len(value) > most:
            out.append((path, f"is longer than {most} characters"))
        elif not _encodable(value):
            out.append((path, "holds a character that is not valid Unicode text"))

    def pattern(path: Path, value: Any, rx: re.Pattern[str], most: int, what: str) -> None:
        if value is None:
            return
        if not isinstance(value, str) or len(value) > most or not rx.match(value):
            out.append((path, f"{_shown(value)} is not {what}"))

    def url(path: Path, value: Any) -> None:
        pattern(path, value, URL, URL_MAX, "a web address (http:// or https://)")

    def date(path: Path, value: Any, required: bool = False) -> None:
        if value is None and not required:
            return
        if value in (None, ""):
            out.append((path, "must not be empty"))
        elif parse_date(value) is None:
            out.append((path, f"{_shown(value)} is not a date (YYYY-MM-DD)"))

    def items(name: str, most: int) -> list[Any]:
        value = body.get(name, [])
        if not isinstance(value, list):
            out.append(((name,), "must be a list"))
            return []
        if len(value) > most:
            out.append(((name,), f"has {len(value)} entries, at most {most} are allowed"))
        return [v if isinstance(v, Mapping) else {} for v in value]

    text(("name",), body.get("name"), NAME_MAX, 1)
    for short in ("given_name", "family_name", "title", "party", "email"):
        text((short,), body.get(short, ""), SHORT_MAX)
    pattern(
        ("office_type",), body.get("office_type"), OFFICE_TYPE, 40,
        "an office type (lower-case letters, digits and _, such as mayor)",
    )  # fmt: skip
    if body.get("office_type") is None:
        out.append((("office_type",), "must not be empty"))
    text(("jurisdiction",), body.get("jurisdiction"), NAME_MAX, 1)
    pattern(
        ("ocd_division",), body.get("ocd_division"), OCD_DIVISION, DIVISION_MAX,
        "an Open Civic Data division (ocd-division/country:us/…)",
    )  # fmt: skip
    date(("term_start",), body.get("term_start"))
    date(("term_end",), body.get("term_end"))
    start, end = parse_date(body.get("term_start")), parse_date(body.get("term_end"))
    if start and end and end < start:
        out.append((("term_end",), "the term ends before it starts"))
    for key in ("contact_form", "website", "platform_url", "photo_url"):
        url((key,), body.get(key))
    for i, office in enumerate(items("offices", MAX_OFFICES)):
        for key in ("classification", "address", "voice"):
            text(("offices", i, key), office.get(key, ""), SHORT_MAX)
    for i, position in enumerate(items("positions", MAX_POSITIONS)):
        date(("positions", i, "date"), position.get("date"), required=True)
        text(("positions", i, "text"), position.get("text", ""), TEXT_MAX)
        url(("positions", i, "source"), position.get("source"))
    for i, source in enumerate(items("sources", MAX_SOURCES)):
        url(("sources", i, "url"), source.get("url", ""))
        date(("sources", i, "checked"), source.get("checked"))
    for i, ext in enumerate(items("ids", MAX_IDS)):
        text(("ids", i, "scheme"), ext.get("scheme"), NAME_MAX, 1)
        text(("ids", i, "value"), ext.get("value"), SHORT_MAX, 1)
    candidacy = body.get("candidacy")
    if isinstance(candidacy, Mapping):
        date(("candidacy", "election_date"), candidacy.get("election_date"), required=True)
        text(("candidacy", "office"), candidacy.get("office"), NAME_MAX, 1)
        text(("candidacy", "district"), candidacy.get("district", ""), SHORT_MAX)
        if candidacy.get("result", "pending") not in RESULTS:
            out.append((("candidacy", "result"), "must be pending, won or lost"))
    elif candidacy is not None:
        out.append((("candidacy",), "must be an election or nothing"))
    text(("notes",), body.get("notes", ""), TEXT_MAX)
    return out


def parse_date(value: Any) -> dt.date | None:
    """``value`` as a date if it is one written YYYY-MM-DD (the protocol's only form)."""
    if not isinstance(value, str) or not DATE.match(value):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        return None


def _encodable(value: str) -> bool:
    # A lone surrogate (from an escape) has no UTF-8 form: the protocol refuses it.
    return value.isascii() or not _SURROGATE.search(value)


def _shown(value: Any) -> str:
    """A value quoted for a reason, cut short if long."""
    text = value if isinstance(value, str) else repr(value)
    return repr(text if len(text) <= 60 else text[:57] + "...")


def normalized(text: str) -> str:
    """``text`` for matching: no accents, case or punctuation, single spaces."""
    bare = text.lower()
    if not text.isascii():
        bare = unicodedata.normalize("NFKD", text)
        bare = "".join(c for c in bare if not unicodedata.combining(c)).casefold()
    return " ".join(re.sub(r"[\W_]+", " ", bare).split())


def match_keys(body: Mapping[str, Any]) -> MatchKeys:
    """The keys by which ``body``'s official is recognised again (see ``MatchKeys``)."""
    keys = {f"id:{i['scheme'].casefold()}:{i['value']}" for i in body.get("ids", [])}
    given, family = body.get("given_name", ""), body.get("family_name", "")
    person = normalized(f"{given} {family}" if given and family else body.get("name", ""))
    office = body.get("office_type", "")
    if person:
        keys.add(f"name:{person}|{office}|{normalized(body.get('jurisdiction', ''))}")
        if body.get("ocd_division"):
            keys.add(f"division:{person}|{office}|{body['ocd_division']}")
    return frozenset(keys)


def finished(fields: Mapping[str, Any]) -> Body:
    """A whole target body: ``fields`` with the defaults for the rest, in protocol order."""
    return {name: fields.get(name, DEFAULTS[name]) for name in TARGET_FIELDS}


#: An existing target of the campaign: its object id, its match keys and its body.
Existing = tuple[str, MatchKeys, Mapping[str, Any]]
Action = Literal["new", "changed", "unchanged"]


@dataclass(frozen=True, slots=True)
class PlannedTarget:
    """What importing one record does: ``body`` is the whole body to record (for
    ``changed``, the existing one with the file's fields), ``changed`` names the fields
    that differ, ``object_id`` is the existing target's (None for ``new``)."""

    record: ParsedTarget
    action: Action
    object_id: str | None
    changed: tuple[str, ...]
    body: Body


@dataclass(frozen=True, slots=True)
class ImportPlan:
    """The dry run's answer and the service's work list; nothing of a file with a
    problem is in ``targets``."""

    targets: list[PlannedTarget]
    problems: list[Problem]

    def count(self, action: Action) -> int:
        return sum(1 for t in self.targets if t.action == action)


def plan_import(existing: Iterable[Existing], records: Iterable[ParsedTarget]) -> ImportPlan:
    """What importing ``records`` would do to a campaign holding ``existing`` targets.

    A record updates the target that shares one of its external ids; failing that, the
    one with the same name, office type and place, unless that target carries an id of
    the same scheme with another value (then they are two people). Two records naming
    the same official, or a record naming two existing targets, are problems.
    """
    by_key: dict[str, Existing] = {}
    for target in existing:
        for key in target[1]:
            by_key.setdefault(key, target)
    planned: list[PlannedTarget] = []
    problems: list[Problem] = []
    claimed: dict[str, ParsedTarget] = {}  # an existing object id, or a key of a new record
    for record in records:
        found = _matches(record, by_key)
        if len(found) > 1:
            names = " and ".join(sorted(repr(t[2].get("name", t[0])) for t in found))
            problems.append(_problem(record, f"matches more than one target: {names}"))
            continue
        claims = [found[0][0]] if found else sorted(record.keys)
        earlier = next((claimed[c] for c in claims if c in claimed), None)
        if earlier is not None:
            problems.append(_problem(record, f"is also at line {earlier.line} of {earlier.file}"))
            problems.append(_problem(earlier, f"is also at line {record.line} of {record.file}"))
            continue
        claimed.update(dict.fromkeys(claims, record))
        if not found:
            planned.append(PlannedTarget(record, "new", None, (), record.body))
            continue
        object_id, _, old = found[0]
        body = finished({**old, **{f: record.body[f] for f in record.fields}})
        changed = tuple(f for f in TARGET_FIELDS if f in record.fields and body[f] != old.get(f))
        action: Action = "changed" if changed else "unchanged"
        planned.append(PlannedTarget(record, action, object_id, changed, body))
    bad = {p.file for p in problems}
    return ImportPlan([t for t in planned if t.record.file not in bad], problems)


def _matches(record: ParsedTarget, by_key: Mapping[str, Existing]) -> list[Existing]:
    """The existing targets ``record`` names: by id if any id is shared, else by name."""
    ids = [k for k in record.keys if k.startswith("id:")]
    found = {by_key[k][0]: by_key[k] for k in ids if k in by_key}
    if not found:
        schemes = {k.split(":", 2)[1]: k for k in ids}
        for key in record.keys - set(ids):
            target = by_key.get(key)
            if target is not None and not any(
                k.startswith("id:") and schemes.get(k.split(":", 2)[1], k) != k for k in target[1]
            ):
                found[target[0]] = target
    return [found[k] for k in sorted(found)]


def _problem(record: ParsedTarget, reason: str) -> Problem:
    return Problem(record.file, record.line, f"{record.body['name']}: {reason}")
