"""Structured logs through structlog: readable in a terminal, JSON lines for collectors.

``configure(format)`` is called once by ``nst run``; library code only asks
``structlog.get_logger()``. Standard-library records (aiohttp's errors and access log)
go through the same renderer. Fields that could hold secrets are masked before
rendering, so a careless ``log.info(..., password=pw)`` cannot leak one.
"""

from __future__ import annotations

import logging
import sys
from typing import Any, Literal, TextIO

import structlog
from structlog.typing import EventDict, Processor

SECRET_FIELDS = frozenset(
    {"password", "passphrase", "seed", "key", "secret", "private_key", "token", "authorization"}
)
REDACTED = "[redacted]"


def redact(_: Any, __: str, event: EventDict) -> EventDict:
    """Mask every field whose name says it holds a secret."""
    for name in event.keys() & SECRET_FIELDS:
        event[name] = REDACTED
    return event


def _render(fmt: Literal["console", "json"], stream: TextIO) -> list[Processor]:
    if fmt == "json":
        return [structlog.processors.format_exc_info, structlog.processors.JSONRenderer()]
    # A plain traceback, never rich's or better-exceptions' (used when installed): those
    # print local variables, which may hold a member's or a stranger's personal data.
    return [
        structlog.dev.ConsoleRenderer(
            colors=stream.isatty(), exception_formatter=structlog.dev.plain_traceback
        )
    ]


def configure(
    fmt: Literal["console", "json"] = "console",
    *,
    level: int = logging.INFO,
    stream: TextIO | None = None,
) -> None:
    """Send structlog and standard-library logging to ``stream`` (stderr) as ``fmt``."""
    out = sys.stderr if stream is None else stream
    shared: list[Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        redact,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *_render(fmt, out),
        ],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
