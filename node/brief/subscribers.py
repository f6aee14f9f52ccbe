"""The subscribers as data: the export's rows and the erasure of one person, callable by
any command (``nst brief``, the admin's page, a later command that forgets a person
everywhere)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import sqlite3
from collections.abc import Mapping

import orjson

from node.brief.records import EXPORT_HEADER, ExportRow
from node.store import brief as table
from node.store.base import Store
from protocol import format_ts


async def export_rows(store: Store, names: Mapping[str, str]) -> list[ExportRow]:
    """Every subscriber, confirmed or waiting, with their interests by campaign name
    (``names``: public campaign id -> name; an id no longer public is given as it is)."""
    out = []
    for address, name, town, interests, confirmed, version in await store.fetchall_long(
        table.EXPORT
    ):
        chosen = [names.get(i, i) for i in orjson.loads(interests)]
        out.append(
            ExportRow(address, name, town, "; ".join(chosen), confirmed or "", version or "")
        )
    return out


def _cell(value: str) -> str:
    """A cell a spreadsheet shows as text: what a stranger typed never runs as a
    formula (a leading ``=``, ``+``, ``-``, ``@`` gets a ``'``)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def csv_text(rows: list[ExportRow]) -> str:
    """The export as CSV (RFC 4180, a header line first)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_HEADER)
    for row in rows:
        writer.writerow(
            [_cell(v) for v in (row.address, row.name, row.town, row.interests)]
            + [row.confirmed, row.wording_version]
        )
    return out.getvalue()


def erase(conn: sqlite3.Connection, address: str, at: dt.datetime | None = None) -> int:
    """Forget ``address`` in the caller's write transaction: the subscriber and their
    brief mail go; their consent records stay as proof of the withdrawal, the address in
    them replaced by a salted SHA-256. How many records were erased or reduced (0: none
    held the address)."""
    when = format_ts(at or dt.datetime.now(dt.UTC))
    return table.erase(conn, address.strip().lower(), when)


__all__ = ["csv_text", "erase", "export_rows"]
