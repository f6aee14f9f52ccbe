"""Campaign targets from Open States "people" files: YAML, one file per person.

The format is openstates/people's (``id: ocd-person/…``, ``name``, ``given_name``,
``family_name``, ``party``, ``roles``, ``offices``, ``email``, ``image``, ``links``,
``ids``, ``other_identifiers``, ``sources``). The role current on a given date becomes
the target: ``mayor`` and ``district attorney`` are the office types ``mayor`` and
``district_attorney`` (other types keep their words, joined by ``_``), and the division
comes from the role's ``ocd-jurisdiction`` id. The fields the format does not carry
(positions, platform, notes, candidacy …) stay as they are on an existing target.

The file is read as PyYAML's safe loader's events, and built here: every scalar is text
(so no integer is converted and no date guessed), an alias, a tag, a nesting deeper than
``MAX_DEPTH`` or a repeated key is refused at its line. So a "billion laughs" file ends
at its first alias, and no shape of input reaches a recursion limit.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

import yaml

from node.campaigns.imports import (
    Body,
    ImportResult,
    ParsedTarget,
    Path,
    Problem,
    check_target,
    finished,
    match_keys,
)

MAX_DEPTH = 16
MAX_BYTES = 1 << 20  # a person's file is a few kilobytes
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_FUZZY_DATE = re.compile(r"^([0-9]{4})(?:-([0-9]{2})(?:-([0-9]{2}))?)?$")
_OFFICE_TYPES = {
    "mayor": "mayor",
    "district attorney": "district_attorney",
    "upper": "state_senator",
    "lower": "state_representative",
    "legislature": "state_legislator",
}
#: The body fields an Open States file gives.
FIELDS = frozenset(
    {"name", "given_name", "family_name", "office_type", "title", "jurisdiction",
     "ocd_division", "party", "term_start", "term_end", "offices", "email", "website",
     "photo_url", "sources", "ids"}
)  # fmt: skip


class _Refused(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line, self.reason = line, reason


def parse_openstates(file: str, data: bytes | str, as_of: dt.date) -> ImportResult:
    """The target of one Open States person file, as holder of the role current on
    ``as_of``; or the file's problems (and then no target)."""
    if len(data) > MAX_BYTES:
        return ImportResult([], [Problem(file, 1, f"is larger than {MAX_BYTES} bytes")])
    try:
        doc, lines = _compose(data)
        body, origin = _target(doc, lines, as_of)
    except _Refused as exc:
        return ImportResult([], [Problem(file, exc.line, exc.reason)])
    problems = [
        Problem(file, _line_of(lines, _source(origin, path)), f"{'.'.join(map(str, path))}: {why}")
        for path, why in check_target(body)
    ]
    if problems:
        return ImportResult([], problems)
    return ImportResult([ParsedTarget(file, 1, match_keys(body), body, FIELDS)], [])


def _compose(data: bytes | str) -> tuple[Any, dict[Path, int]]:
    """The document as dicts, lists, text and None, and the line of each key (of each
    item, in a list)."""
    lines: dict[Path, int] = {}
    stack: list[tuple[Path, list[Any] | dict[str, Any]]] = []
    key: str | None = None
    key_line = 1
    root: Any = None
    documents = 0
    try:
        for event in yaml.parse(data, Loader=_LOADER):
            line = event.start_mark.line + 1 if event.start_mark else 1
            if isinstance(event, yaml.DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise _Refused(line, "holds more than one document (one person a file)")
                continue
            if isinstance(event, yaml.AliasEvent):
                raise _Refused(line, "uses an alias (*name), which Open States files never do")
            if isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
                stack.pop()
                continue
            if not isinstance(event, yaml.NodeEvent):
                continue
            tag = getattr(event, "tag", None)
            if tag is not None:
                raise _Refused(line, f"uses a tag ({tag}), which Open States files never do")
            parent = stack[-1][1] if stack else None
            if isinstance(parent, dict) and key is None:
                if not isinstance(event, yaml.ScalarEvent):
                    raise _Refused(line, "has a key that is not plain text")
                key, key_line = event.value, line
                if key in parent:
                    raise _Refused(line, f"names {key!r} twice")
                continue
            value: Any
            if isinstance(event, yaml.ScalarEvent):
                plain = event.implicit[0]
                value = None if plain and event.value in _NULLS else event.value
            else:
                value = {} if isinstance(event, yaml.MappingStartEvent) else []
            if parent is None:
                path: Path = ()
                root = value
            elif isinstance(parent, dict):
                assert key is not None
                path, line = (*stack[-1][0], key), key_line
                parent[key], key = value, None
            else:
                path = (*stack[-1][0], len(parent))
                parent.append(value)
            lines[path] = line
            if isinstance(value, dict | list):
                if len(stack) >= MAX_DEPTH:
                    raise _Refused(line, f"is nested more than {MAX_DEPTH} levels deep")
                stack.append((path, value))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise _Refused(mark.line + 1 if mark else 1, f"is not valid YAML: {exc.problem}") from None
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise _Refused(1, f"is not valid YAML text: {exc}") from None
    return root, lines


def _target(doc: Any, lines: dict[Path, int], as_of: dt.date) -> tuple[Body, dict[Path, Path]]:
    """The target body, and where in the file each of its places came from."""
    if not isinstance(doc, dict):
        raise _Refused(1, "is not an Open States person (a mapping with name and roles)")
    frm: dict[Path, Path] = {}

    def text(path: Path, value: Any) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            raise _Refused(_line_of(lines, path), f"{'.'.join(map(str, path))}: must be text")
        return value

    def items(key: str) -> list[dict[str, Any]]:
        value = doc.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise _Refused(_line_of(lines, (key,)), f"{key}: must be a list of mappings")
        return value

    person_id = text(("id",), doc.get("id"))
    ids = [{"scheme": "openstates", "value": person_id}] if person_id else []
    frm[("ids", 0)] = ("id",)
    ids_block = doc.get("ids") or {}
    if not isinstance(ids_block, dict):
        raise _Refused(_line_of(lines, ("ids",)), "ids: must be a mapping (twitter: …)")
    for scheme, value in ids_block.items():
        frm[("ids", len(ids))] = ("ids", scheme)
        ids.append({"scheme": scheme, "value": text(("ids", scheme), value)})
    for i, other in enumerate(items("other_identifiers")):
        frm[("ids", len(ids))] = ("other_identifiers", i)
        path = ("other_identifiers", i)
        ids.append(
            {
                "scheme": text((*path, "scheme"), other.get("scheme")),
                "value": text((*path, "identifier"), other.get("identifier")),
            }
        )
    roles = items("roles")
    current = [i for i, role in enumerate(roles) if _current(role, as_of, lines, ("roles", i))]
    if not current:
        raise _Refused(_line_of(lines, ("roles",)), f"roles: none is current on {as_of}")
    at = ("roles", current[0])
    role = roles[current[0]]
    kind = text((*at, "type"), role.get("type"))
    office_type = _OFFICE_TYPES.get(kind, re.sub(r"[\s-]+", "_", kind))
    district = text((*at, "district"), role.get("district"))
    title = kind.title() if kind not in ("upper", "lower", "legislature") else "Legislator"
    jurisdiction = text((*at, "jurisdiction"), role.get("jurisdiction"))
    division, place = _division(jurisdiction)
    for field, key in [("office_type", "type"), ("title", "type"), ("jurisdiction", "jurisdiction"),
                       ("ocd_division", "jurisdiction"), ("term_start", "start_date"),
                       ("term_end", "end_date")]:  # fmt: skip
        frm[(field,)] = (*at, key)
    offices = []
    listed = "offices" if "offices" in doc else "contact_details"
    for i, office in enumerate(items(listed)):
        frm[("offices", i)] = (listed, i)
        kind_of = office.get("classification", office.get("note"))
        offices.append(
            {
                "classification": text((listed, i), kind_of),
                "address": text((listed, i, "address"), office.get("address")),
                "voice": text((listed, i, "voice"), office.get("voice")),
            }
        )
    links = items("links")
    sources = []
    for i, source in enumerate(items("sources")):
        frm[("sources", i)] = ("sources", i)
        sources.append({"url": text(("sources", i, "url"), source.get("url")), "checked": None})
    frm.update({("website",): ("links", 0), ("photo_url",): ("image",), ("email",): ("email",)})
    return finished(
        {
            "name": text(("name",), doc.get("name")),
            "given_name": text(("given_name",), doc.get("given_name")),
            "family_name": text(("family_name",), doc.get("family_name")),
            "office_type": office_type,
            "title": f"{title}, district {district}" if district else title,
            "jurisdiction": place,
            "ocd_division": division,
            "party": _party(doc.get("party"), as_of, lines),
            "term_start": _date(role.get("start_date"), end=False),
            "term_end": _date(role.get("end_date"), end=True),
            "offices": offices,
            "email": text(("email",), doc.get("email")),
            "website": text(("links", 0, "url"), links[0].get("url")) if links else None,
            "photo_url": text(("image",), doc.get("image")) or None,
            "sources": sources,
            "ids": ids,
        }
    ), frm


def _current(role: Mapping[str, Any], as_of: dt.date, lines: dict[Path, int], at: Path) -> bool:
    """Whether ``role`` is held on ``as_of``: begun by then, not yet ended (as Open States
    reads its own dates, which may be a year or a month alone)."""
    day = as_of.isoformat()
    start, end = role.get("start_date") or "", role.get("end_date") or ""
    if not isinstance(start, str) or not isinstance(end, str):
        raise _Refused(_line_of(lines, at), "roles: start_date and end_date must be dates")
    return (not start or start <= day) and (not end or end > day)


def _party(value: Any, as_of: dt.date, lines: dict[Path, int]) -> str:
    if isinstance(value, str) or value is None:
        return value or ""
    if not isinstance(value, list) or not all(isinstance(p, dict) for p in value):
        raise _Refused(_line_of(lines, ("party",)), "party: must be a list of mappings")
    names = [p.get("name") for i, p in enumerate(value) if _current(p, as_of, lines, ("party", i))]
    return " / ".join(n for n in names if isinstance(n, str))


def _date(value: Any, *, end: bool) -> str | None:
    """An Open States date as YYYY-MM-DD: a year or a month alone becomes its first day
    (a start) or its last (an end). Anything else is kept, for the check to name."""
    if not value:
        return None
    match = _FUZZY_DATE.match(value) if isinstance(value, str) else None
    if match is None or match.group(3):
        return value if isinstance(value, str) else repr(value)
    year, month = int(match.group(1)), int(match.group(2) or (12 if end else 1))
    if not 1 <= month <= 12:
        return str(value)
    day = calendar.monthrange(year, month)[1] if end else 1
    return dt.date(year, month, day).isoformat()


def _division(jurisdiction: str) -> tuple[str | None, str]:
    """The OCD division of an ``ocd-jurisdiction/…/government`` id, and a place name for
    people ("Saint Paul, MN"); a jurisdiction that is not such an id is its own name."""
    if not jurisdiction.startswith("ocd-jurisdiction/"):
        return None, jurisdiction
    parts = jurisdiction.removeprefix("ocd-jurisdiction/").split("/")
    if parts and ":" not in parts[-1]:
        parts.pop()  # the kind of government: "government", "legislature"
    pairs = [p.partition(":") for p in parts]
    state = next((v.upper() for k, _, v in pairs if k in ("state", "territory", "district")), "")
    kind, _, name = pairs[-1] if pairs else ("", "", "")
    if kind in ("country", "state", "territory", "district"):
        place = state or name.upper()
    else:
        words = name.replace("_", " ").replace("~", " ").title()
        place = f"{words} County" if kind == "county" else words
        place = f"{place}, {state}" if state else place
    return "ocd-division/" + "/".join(parts), place


def _source(origin: Mapping[Path, Path], path: Path) -> Path:
    """Where in the file a place of the body came from (its sub-keys named alike)."""
    for size in (2, 1):
        if path[:size] in origin:
            return origin[path[:size]] + path[size:]
    return path


def _line_of(lines: Mapping[Path, int], path: Path) -> int:
    """The line of ``path``'s key, or of the nearest enclosing one, else 1."""
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)
