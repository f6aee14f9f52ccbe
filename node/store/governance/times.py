"""Times in the governance tables: a position's ``at`` (as the circle's home wrote it)
read back, and the times the tables keep (``updated_at``, a round's deadline) written,
in UTC to the microsecond."""

from __future__ import annotations

import datetime as dt


def parse_at(at: str) -> dt.datetime:
    return dt.datetime.fromisoformat(at)


def stamp(t: dt.datetime) -> str:
    """A time as the governance tables keep it."""
    return t.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
