"""The ``page`` and ``per_page`` query parameters of an OSDI collection, checked: whole
numbers, ``page`` from 1 and ``per_page`` from 1 to ``MAX_PER_PAGE`` (the entry point's
``max_pagesize``); anything else is refused with ``osdi.bad_page``, never guessed at."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from protocol import ErrorCode

PER_PAGE: Final = 25
MAX_PER_PAGE: Final = 100
# Beyond this a page number only makes the server count: no collection is that long.
MAX_PAGE: Final = 1_000_000


class PagingError(Exception):
    """A ``page`` or ``per_page`` the API does not take; ``code`` is ``osdi.bad_page``."""

    code = ErrorCode.OSDI_BAD_PAGE


def _number(query: Mapping[str, str], name: str, default: int, highest: int) -> int:
    raw = query.get(name)
    if raw is None:
        return default
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 7) or not 1 <= int(raw) <= highest:
        raise PagingError(f"{name} must be a whole number from 1 to {highest}, not {raw[:20]!r}.")
    return int(raw)


def requested(query: Mapping[str, str]) -> tuple[int, int]:
    """(page, per_page) a request asks for. A page past the last is answered empty (OSDI
    answers an empty collection, not an error)."""
    return _number(query, "page", 1, MAX_PAGE), _number(query, "per_page", PER_PAGE, MAX_PER_PAGE)
