"""The guard of every public form (no login): a rate limit per client address, a
honeypot field, and the page a refusal shows. ``admit(request, form)`` is what a
public form's view calls first; ``node.public_forms.guard`` holds the rules of the data
(one mail a day per address, a bound on waiting sign-ups).

A refusal shows the form again with what was typed, a sentence and a machine-readable
code (``public.rate_limited``: 429 with ``Retry-After``; ``public.too_many_pending``:
503). A filled honeypot is answered as if all went well, and nothing is stored.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from typing import Final

from aiohttp import web

from node.domain.errors import DomainError
from protocol import ErrorCode
from web_ui.context import CLIENTS, REFUSED, node_of
from web_ui.cookies import login_csrf, set_login_csrf
from web_ui.forms import Form

#: The honeypot's field name: a person leaves it empty (its label says so), a bot fills it.
HONEYPOT: Final = "website"


class RateLimit:
    """At most ``limit`` public-form posts per client address within ``window`` seconds.
    Memory is bounded: at most ``capacity`` addresses (the least recently seen go first),
    each with at most ``limit`` times."""

    def __init__(
        self,
        *,
        limit: int = 10,
        window: float = 600.0,
        capacity: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.limit = limit
        self.window = window
        self.capacity = capacity
        self.clock = clock
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()

    def __len__(self) -> int:
        """How many client addresses it remembers."""
        return len(self._seen)

    def hit(self, client: str) -> float:
        """Count a post of ``client``: 0 if it may go on, else seconds until it may."""
        now = self.clock()
        times = self._seen.pop(client, None)
        if times is None:
            times = deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        self._seen[client] = times
        while len(self._seen) > self.capacity:
            self._seen.popitem(last=False)
        if len(times) >= self.limit:
            return max(1.0, times[0] + self.window - now)
        times.append(now)
        return 0.0


PUBLIC_LIMIT = web.AppKey("web_public_limit", RateLimit)
#: The code of the refusal a public form's page shows again (read by its view).
REFUSAL = web.RequestKey("web_public_refusal", str)


class PublicRefused(Exception):
    """A public form refused as a whole: its status, code, sentence and wait."""

    def __init__(self, status: int, code: str, message: str, retry_after: float = 0) -> None:
        super().__init__(f"{code}: {message}")
        self.status, self.code, self.message = status, code, message
        self.retry_after = retry_after

    @classmethod
    def of(cls, error: DomainError, status: int = 400, retry_after: float = 0) -> PublicRefused:
        return cls(status, error.code, error.message, retry_after)


def _wait_words(seconds: float) -> str:
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes" if minutes > 1 else "a minute"


def admit(request: web.Request, form: Form) -> bool:
    """Let a public form's post through the guard: raise ``PublicRefused`` when its
    client sends too often; False when the honeypot is filled (answer as if accepted,
    store nothing), else True."""
    client = request.app[CLIENTS].of(request)
    wait = request.app[PUBLIC_LIMIT].hit(client)
    if wait:
        raise PublicRefused(
            429,
            ErrorCode.PUBLIC_RATE_LIMITED,
            f"Many forms were sent from your connection in a short time: wait"
            f" {_wait_words(wait)} and send it again. What you typed is kept below.",
            wait,
        )
    return not form.raw(HONEYPOT).strip()


def pending_refused(error: DomainError) -> PublicRefused:
    """``public.too_many_pending`` as a page: 503, try again in an hour."""
    return PublicRefused.of(error, 503, 3600)


async def again(
    request: web.Request,
    form: Form,
    refused: PublicRefused,
    view: Callable[[web.Request], Awaitable[web.Response]],
) -> web.Response:
    """The form's page once more with what was typed, the refusal's sentence and code,
    its status and (when it has one) ``Retry-After``."""
    form.fail("", refused.message)
    request[REFUSED] = form.state
    request[REFUSAL] = refused.code
    response = await view(request)
    response.set_status(refused.status)
    if refused.retry_after:
        response.headers["Retry-After"] = str(math.ceil(refused.retry_after))
    return response


def stranger_csrf(request: web.Request) -> str:
    """The CSRF token a public form carries (the browser's own cookie, or a new one);
    ``keep_csrf`` sets it on the page's response."""
    return login_csrf(request, node_of(request))


def keep_csrf(request: web.Request, response: web.StreamResponse, token: str) -> None:
    set_login_csrf(response, node_of(request), token)


__all__ = [
    "HONEYPOT",
    "PUBLIC_LIMIT",
    "REFUSAL",
    "PublicRefused",
    "RateLimit",
    "admit",
    "again",
    "keep_csrf",
    "pending_refused",
    "stranger_csrf",
]
