"""What a home could not carry out yet: an adopted structural change or a leader a parent
circle chose that the circle's rules refuse for now (a role taken meanwhile). Each is
retried on every governance tick, logged once per reason rather than on every try, and
listed for the node's admins with the reason, until it is carried out or no longer due."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

log = structlog.get_logger("nst.governance")


@dataclass(frozen=True, slots=True)
class StuckChange:
    """One change the home could not make: in which circle, on whose authority (a
    decision or an election's result), what it would set, and why it could not."""

    kind: str  # "structure" or "leader"
    circle: str
    source: str
    what: str  # "charter", or the member (a person or a node) it concerns
    code: str
    message: str


class Stuck:
    """The changes of one kind ("structure", "leader") left on the last try."""

    def __init__(self) -> None:
        self._kinds: dict[str, dict[tuple[str, str], StuckChange]] = {}

    def tried(self, kind: str, failed: list[StuckChange], event: str) -> None:
        """Record the changes of ``kind`` that failed on this try (the others are done or
        no longer due); log those that are new or fail for a new reason."""
        before = self._kinds.get(kind, {})
        now = {(c.source, c.what): c for c in failed}
        for key, change in now.items():
            old = before.get(key)
            if old is None or old.code != change.code:
                log.warning(event, circle=change.circle, source=change.source, code=change.code)
        self._kinds[kind] = now

    def items(self) -> list[StuckChange]:
        return [c for kind in sorted(self._kinds) for c in self._kinds[kind].values()]


__all__ = ["Stuck", "StuckChange"]
