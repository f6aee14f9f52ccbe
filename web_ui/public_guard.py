"""What keeps robots and floods off a public form without outside services: a honeypot
field (hidden from people; a robot that fills it is thanked and nothing is kept) and a
limit of sendings per client address (behind trusted proxies, the address the proxy
names: ``web_ui.proxies``) in a sliding window. In memory, per process, bounded."""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from aiohttp import web

from web_ui.proxies import ClientAddresses


@dataclass(frozen=True, slots=True)
class Verdict:
    """A sending judged: from a robot (``robot``), to wait for (``wait``: the words
    saying how long, ``retry_after`` in seconds), or fine (neither)."""

    robot: bool = False
    wait: str = ""
    retry_after: int = 0


class FormGuard:
    """The honeypot and the per-client limit of one public form."""

    #: The honeypot field's name: a field robots like to fill.
    HONEYPOT: Final = "website"

    def __init__(
        self,
        clients: ClientAddresses,
        *,
        per_window: int = 5,
        window: float = 3600.0,
        capacity: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clients = clients
        self.per_window = per_window
        self.window = window
        self.capacity = capacity
        self.clock = clock
        self._sent: OrderedDict[str, deque[float]] = OrderedDict()

    def check(self, request: web.Request, data: Mapping[str, Any]) -> Verdict:
        """Judge a sending of the form (and count it, unless a robot sent it)."""
        if str(data.get(self.HONEYPOT, "")).strip():
            return Verdict(robot=True)
        now = self.clock()
        client = self.clients.of(request)
        times = self._sent.pop(client, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) >= self.per_window:
            self._sent[client] = times
            after = max(1, math.ceil(times[0] + self.window - now))
            minutes = max(1, math.ceil(after / 60))
            return Verdict(
                wait="This form was sent too often from your connection. Wait"
                f" {minutes} minute{'s' if minutes != 1 else ''}, then send it again:"
                " what you typed is kept below.",
                retry_after=after,
            )
        times.append(now)
        self._sent[client] = times  # most recent last: the oldest go first when full
        while len(self._sent) > self.capacity:
            self._sent.popitem(last=False)
        return Verdict()


ALLY_GUARD = web.AppKey("web_ally_guard", FormGuard)


def guard_of(request: web.Request) -> FormGuard:
    return request.app[ALLY_GUARD]


__all__ = ["ALLY_GUARD", "FormGuard", "Verdict", "guard_of"]
