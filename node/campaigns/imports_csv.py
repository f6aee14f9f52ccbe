"""Campaign targets as CSV: the documented header, the template, the parser and the export.

One row per official. ``HEADER`` lists the columns (a file may hold any of them in any
order, with at least ``office_type``, ``jurisdiction`` and ``name`` or both
``given_name`` and ``family_name``); a column the file leaves out leaves that part of an
existing target as it is, an empty cell clears it. ``id`` holds external ids written
``scheme:value`` (several separated by spaces; a space, ``%`` or a colon in a scheme
percent-encoded: ``%20``, ``%25``, ``%3A``); ``phone`` and ``address`` are the
official's main office; ``sources`` holds web addresses separated by spaces, all checked
on the date in ``checked``; ``election_*`` describe a candidacy (result ``pending``,
``won`` or ``lost``, empty for pending). Dates are written YYYY-MM-DD.

Exported cells that a spreadsheet would run as a formula (starting with ``=``, ``+``,
``-``, ``@``, a tab or a carriage return) get a leading apostrophe, as do cells starting
with one; the parser takes one such apostrophe off, so an export reads back the same.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote

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

HEADER: tuple[str, ...] = (
    "id", "given_name", "family_name", "name", "office_type", "title", "jurisdiction",
    "ocd_division", "party", "term_start", "term_end", "email", "phone", "address",
    "contact_form", "website", "platform_url", "photo_url", "election_date",
    "election_office", "election_district", "election_result", "sources", "checked", "notes",
)  # fmt: skip
# The body field each column fills.
_FIELD = {c: c for c in HEADER} | {
    "id": "ids",
    "phone": "offices",
    "address": "offices",
    "election_date": "candidacy",
    "election_office": "candidacy",
    "election_district": "candidacy",
    "election_result": "candidacy",
    "sources": "sources",
    "checked": "sources",
}
_TEXT = ("given_name", "family_name", "office_type", "title", "jurisdiction", "party", "email",
         "notes")  # fmt: skip
# Columns whose empty cell means "none" (null) rather than empty text.
_OPTIONAL = ("ocd_division", "term_start", "term_end", "contact_form", "website",
             "platform_url", "photo_url")  # fmt: skip
_ELECTION = ("election_date", "election_office", "election_district", "election_result")
# A place in a body named by the column it came from, where the two names differ.
_COLUMN: dict[tuple[str, str], str] = {
    ("offices", "voice"): "phone",
    ("offices", "address"): "address",
    ("candidacy", "election_date"): "election_date",
    ("candidacy", "office"): "election_office",
    ("candidacy", "district"): "election_district",
    ("candidacy", "result"): "election_result",
    ("sources", "url"): "sources",
    ("sources", "checked"): "checked",
}
_FORMULA = ("=", "+", "-", "@", "\t", "\r", "'")

_EXAMPLE = {
    "id": "openstates:ocd-person/6f1d2c9e-3b7a-4e55-9c0d-2a8b7e4f1c30",
    "given_name": "Dana",
    "family_name": "Whitfield",
    "name": "Dana Whitfield",
    "office_type": "mayor",
    "title": "Mayor",
    "jurisdiction": "Riverton, MN",
    "ocd_division": "ocd-division/country:us/state:mn/place:riverton",
    "party": "Independent",
    "term_start": "2024-01-02",
    "term_end": "2028-01-03",
    "email": "mayor@riverton.example",
    "phone": "612-555-0100",
    "address": "City Hall, 100 Main Street, Riverton, MN 55400",
    "contact_form": "https://riverton.example/mayor/contact",
    "website": "https://riverton.example/mayor",
    "platform_url": "https://danawhitfield.example/platform",
    "election_date": "2027-11-02",
    "election_office": "Mayor of Riverton",
    "sources": "https://riverton.example/mayor https://riverton.example/council/roster",
    "checked": "2026-11-20",
    "notes": "Appoints the police chief. Said in March she is open to a body-camera policy.",
}


def template_csv() -> str:
    """The header and one example row (a fictional mayor): a file to fill in."""
    return _write([[_EXAMPLE.get(c, "") for c in HEADER]])


def export_csv(targets: Iterable[Mapping[str, Any]]) -> str:
    """Target bodies as CSV with ``HEADER``; the parser reads it back to the same bodies,
    except what the columns cannot hold (positions, offices after the first and their
    classification, and sources checked on different dates: the oldest date is kept)."""
    return _write([_cells(t) for t in targets])


def parse_csv(file: str, data: bytes | str) -> ImportResult:
    """The targets of a CSV file, or its problems (and then no target at all)."""
    problems: list[Problem] = []
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            return ImportResult([], [Problem(file, line, "is not UTF-8 text")])
    else:
        text = data.removeprefix("\ufeff")
    reader = csv.reader(io.StringIO(text, newline=""))
    records: list[ParsedTarget] = []
    try:
        header = [c.strip().lower() for c in next(reader, [])]
        columns = _check_header(header)
        if isinstance(columns, str):
            return ImportResult([], [Problem(file, 1, columns)])
        line = reader.line_num + 1
        for row in reader:
            if any(cell.strip() for cell in row):
                if len(row) != len(header):
                    reason = f"has {len(row)} cells where the header has {len(header)}"
                    problems.append(Problem(file, line, reason))
                else:
                    cells = {c: _unescaped(v.strip()) for c, v in zip(header, row, strict=True)}
                    record = _record(file, line, cells, columns, problems)
                    if record is not None:
                        records.append(record)
            line = reader.line_num + 1
    except csv.Error as exc:
        problems.append(Problem(file, reader.line_num or 1, f"is not readable as CSV: {exc}"))
    return ImportResult([], problems) if problems else ImportResult(records, [])


def _check_header(header: list[str]) -> frozenset[str] | str:
    """The columns of a header, or why it cannot be read."""
    if not any(header):
        return "is empty: the first line must name the columns"
    if "" in header:
        return f"column {header.index('') + 1} of the header has no name"
    unknown = [c for c in header if c not in _FIELD]
    if unknown:
        return f"unknown columns: {', '.join(unknown)} (the columns are: {', '.join(HEADER)})"
    repeated = sorted({c for c in header if header.count(c) > 1})
    if repeated:
        return f"columns named twice: {', '.join(repeated)}"
    columns = frozenset(header)
    missing = [c for c in ("office_type", "jurisdiction") if c not in columns]
    if "name" not in columns and not {"given_name", "family_name"} <= columns:
        missing.append("name (or given_name and family_name)")
    if missing:
        return f"missing columns: {', '.join(missing)}"
    return columns


def _record(
    file: str, line: int, cells: dict[str, str], columns: frozenset[str], out: list[Problem]
) -> ParsedTarget | None:
    """One row as a target, or None after adding its problems to ``out``."""
    fields: Body = {c: cells[c] for c in _TEXT if c in columns}
    fields |= {c: cells[c] or None for c in _OPTIONAL if c in columns}
    person = f"{cells.get('given_name', '')} {cells.get('family_name', '')}".strip()
    fields["name"] = cells.get("name") or person
    errors: list[tuple[str, str]] = []
    if "id" in columns:
        fields["ids"] = []
        for token in cells["id"].split():
            scheme, colon, value = token.partition(":")
            if not (scheme and colon and value):
                errors.append(("id", f"{token!r} is not scheme:value (openstates:ocd-person/…)"))
            fields["ids"].append({"scheme": unquote(scheme), "value": unquote(value)})
    if columns & {"phone", "address"}:
        address, phone = cells.get("address", ""), cells.get("phone", "")
        office = {"classification": "primary", "address": address, "voice": phone}
        fields["offices"] = [office] if address or phone else []
    if columns & {"sources", "checked"}:
        checked = cells.get("checked") or None
        urls = cells.get("sources", "").split()
        fields["sources"] = [{"url": url, "checked": checked} for url in urls]
        if checked and not urls:
            errors.append(("checked", "gives a date but the row has no sources"))
    if columns & set(_ELECTION):
        when, post, district, result = (cells.get(c, "") for c in _ELECTION)
        fields["candidacy"] = (
            {"election_date": when, "office": post, "district": district,
             "result": result or "pending"}
            if when or post or district or result else None
        )  # fmt: skip
    body = finished(fields)
    errors += [(_column_of(path, columns), reason) for path, reason in check_target(body)]
    if errors:
        out.extend(Problem(file, line, f"{column}: {reason}") for column, reason in errors)
        return None
    return ParsedTarget(file, line, match_keys(body), body, frozenset(fields))


def _column_of(path: Path, columns: frozenset[str]) -> str:
    top = str(path[0])
    if top == "ids":
        return "id"
    if top == "name" and "name" not in columns:
        return "given_name and family_name"
    return _COLUMN.get((top, str(path[-1])), top)


def _cells(target: Mapping[str, Any]) -> list[str]:
    body = finished(target)
    office: Mapping[str, str] = body["offices"][0] if body["offices"] else {}
    candidacy: Mapping[str, str] = body["candidacy"] or {}
    checked = sorted(s["checked"] for s in body["sources"] if s.get("checked"))
    values = {
        **{k: v for k, v in body.items() if isinstance(v, str)},
        **{k: body[k] or "" for k in ("ocd_division", "term_start", "term_end")},
        **{k: body[k] or "" for k in ("contact_form", "website", "platform_url", "photo_url")},
        "id": " ".join(f"{_quoted(i['scheme'], ':')}:{_quoted(i['value'])}" for i in body["ids"]),
        "phone": office.get("voice", ""),
        "address": office.get("address", ""),
        "election_date": candidacy.get("election_date", ""),
        "election_office": candidacy.get("office", ""),
        "election_district": candidacy.get("district", ""),
        "election_result": candidacy.get("result", "").replace("pending", ""),
        "sources": " ".join(s["url"] for s in body["sources"]),
        "checked": checked[0] if checked else "",
    }
    return [_escaped(values[c]) for c in HEADER]


def _write(rows: Iterable[list[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    return out.getvalue()


def _quoted(value: str, also: str = "") -> str:
    """Part of an id with ``%``, spaces (and ``also``) percent-encoded: ids split on spaces,
    the scheme ends at the first colon."""
    return "".join(
        "".join(f"%{b:02X}" for b in c.encode()) if c in "%" + also or c.isspace() else c
        for c in value
    )


def _escaped(cell: str) -> str:
    return "'" + cell if cell.startswith(_FORMULA) else cell


def _unescaped(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:2].startswith(_FORMULA) else cell
