"""Login throttling: at most ``attempts`` failed logins per handle and per client address
in ``window`` seconds; a success clears the handle's count. In memory, per process."""

from __future__ import annotations

import time
from collections import deque


class LoginThrottle:
    def __init__(self, attempts: int = 5, window: float = 900.0) -> None:
        self.attempts = attempts
        self.window = window
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.setdefault(key, deque())
        while q and q[0] < now - self.window:
            q.popleft()
        return q

    def blocked(self, handle: str, address: str) -> bool:
        now = time.monotonic()
        return any(
            len(self._recent(k, now)) >= self.attempts for k in (f"h:{handle}", f"a:{address}")
        )

    def failed(self, handle: str, address: str) -> None:
        now = time.monotonic()
        for key in (f"h:{handle}", f"a:{address}"):
            self._recent(key, now).append(now)

    def succeeded(self, handle: str) -> None:
        self._failures.pop(f"h:{handle}", None)
