"""Login throttling that slows a guesser without letting anyone lock a member out.

Failures count per (handle, client) pair, the client being its address (behind a
trusted proxy, the address the proxy names: ``web_ui.proxies``). After ``free`` failures
within ``window`` seconds, each next attempt of that pair waits 1, 2, 4 … up to
``max_delay`` seconds after its last failure; a client with ``ceiling`` failures over
any handles waits likewise for every handle. A success clears its pair. Nothing counts
per handle alone, so what others do from other clients never holds up a member's login.

Password checks (argon2, costly on purpose) run ``checks`` at a time and one at a time
per client; with ``queue`` attempts waiting, the next is refused at once (``Busy``), so
a flood of attempts cannot stall the node. In memory, per process.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Callable


class Busy(Exception):
    """Too many password checks waiting, or one of this client's already running."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"busy, retry after {retry_after} s")
        self.retry_after = retry_after


class LoginThrottle:
    def __init__(
        self,
        *,
        free: int = 5,
        ceiling: int = 100,
        window: float = 900.0,
        max_delay: float = 60.0,
        checks: int = 1,
        queue: int = 32,
        capacity: int = 50_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free = free
        self.ceiling = ceiling
        self.window = window
        self.max_delay = max_delay
        self.queue = queue
        self.capacity = capacity
        self.clock = clock
        # key -> times of recent failures; least recently failed first, so the oldest
        # go when there are too many keys.
        self._failures: OrderedDict[tuple[str, str], deque[float]] = OrderedDict()
        self._checks = asyncio.Semaphore(checks)
        self._waiting = 0
        self._checking: set[str] = set()

    def __len__(self) -> int:
        """How many pairs and clients with recent failures it remembers."""
        return len(self._failures)

    def _recent(self, key: tuple[str, str], now: float) -> deque[float] | None:
        found = self._failures.get(key)
        if found is None:
            return None
        while found and found[0] <= now - self.window:
            found.popleft()
        if not found:
            del self._failures[key]
            return None
        return found

    def _delay(self, key: tuple[str, str], allowed: int, now: float) -> float:
        found = self._recent(key, now)
        if found is None or len(found) < allowed:
            return 0.0
        delay = min(self.max_delay, 2.0 ** (len(found) - allowed))
        return max(0.0, found[-1] + delay - now)

    def wait(self, handle: str, client: str) -> float:
        """Seconds until ``client`` may try ``handle`` again (0: now)."""
        now = self.clock()
        return max(
            self._delay(("pair", f"{handle}\n{client}"), self.free, now),
            self._delay(("client", client), self.ceiling, now),
        )

    def failed(self, handle: str, client: str) -> None:
        now = self.clock()
        for key in (("pair", f"{handle}\n{client}"), ("client", client)):
            found = self._recent(key, now)
            if found is None:
                found = self._failures[key] = deque()
                while len(self._failures) > self.capacity:
                    self._failures.popitem(last=False)
            found.append(now)
            self._failures.move_to_end(key)

    def succeeded(self, handle: str, client: str) -> None:
        self._failures.pop(("pair", f"{handle}\n{client}"), None)

    @contextlib.asynccontextmanager
    async def checking(self, client: str) -> AsyncIterator[None]:
        """Hold one of the password checks for ``client``, or raise ``Busy``."""
        if client in self._checking:
            raise Busy(1)
        if self._waiting >= self.queue:
            raise Busy(2)
        self._checking.add(client)
        self._waiting += 1
        waiting = True
        try:
            async with self._checks:
                self._waiting -= 1
                waiting = False
                yield
        finally:
            if waiting:
                self._waiting -= 1
            self._checking.discard(client)
