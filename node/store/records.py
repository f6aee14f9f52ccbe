"""What the event log's write path takes and gives: a draft of our own envelope, the
position the circle's home sent along with one from elsewhere, and each append's result."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from protocol import Envelope

# ``held``: kept aside as part of an invitation to a circle not joined (PROTOCOL.md §13.10).
Status = Literal["accepted", "duplicate", "gap", "equivocation", "rejected", "held"]


@dataclass(frozen=True, slots=True)
class AppendResult:
    status: Status
    id: str | None = None
    envelope: Envelope | None = None
    code: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class LocalDraft:
    """What our node says; seq and prev are assigned inside the write transaction."""

    kind: str
    scope: str
    body: dict[str, Any]
    actor: str | None = None
    refs: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class OrderMark:
    """An envelope's position in its circle's order, as the home sent it (§13)."""

    pos: int
    at: str
