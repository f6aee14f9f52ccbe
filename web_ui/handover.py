"""Secrets an admin hands over: a new member's one-time link, an invite for another
organization's node. Each is shown on a page of its own until the admin dismisses it.

The database keeps only their hashes, so the text lives here, in this process's memory,
under the admin's session, never in a URL, a log or the database; a restart of the node
forgets it (the invitation itself still works, and can be revoked and made again).
"""

from __future__ import annotations

import secrets
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Literal

from aiohttp import web

Kind = Literal["member", "link"]
PER_SESSION = 20  # the oldest are forgotten beyond this
KEEP_SECONDS = 24 * 3600.0


@dataclass(frozen=True, slots=True)
class Handover:
    id: str
    kind: Kind
    secret: str  # the one-time link, or the invite text
    about: dict[str, str]  # who it is for, until when
    made: float = field(default_factory=time.monotonic)


class Handovers:
    """The handovers not yet dismissed, by admin session."""

    def __init__(self) -> None:
        self._by_session: dict[str, OrderedDict[str, Handover]] = {}

    def keep(self, session: str, kind: Kind, secret: str, about: dict[str, str]) -> str:
        """Keep ``secret`` for the admin's session; returns the id of its page."""
        self._forget_old()
        shown = self._by_session.setdefault(session, OrderedDict())
        item = Handover(secrets.token_urlsafe(9), kind, secret, about)
        shown[item.id] = item
        while len(shown) > PER_SESSION:
            shown.popitem(last=False)
        return item.id

    def get(self, session: str, item_id: str) -> Handover | None:
        self._forget_old()
        return self._by_session.get(session, OrderedDict()).get(item_id)

    def dismiss(self, session: str, item_id: str) -> None:
        shown = self._by_session.get(session)
        if shown is not None:
            shown.pop(item_id, None)
            if not shown:
                del self._by_session[session]

    def _forget_old(self) -> None:
        cutoff = time.monotonic() - KEEP_SECONDS
        for session in list(self._by_session):
            shown = self._by_session[session]
            for item_id in [i for i, h in shown.items() if h.made < cutoff]:
                del shown[item_id]
            if not shown:
                del self._by_session[session]


HANDOVERS = web.AppKey("web_handovers", Handovers)

__all__ = ["HANDOVERS", "Handover", "Handovers"]
