"""Domain errors carry a stable code, like protocol errors, so every caller (CLI, web UI,
federation) reports them the same way."""

from __future__ import annotations


class DomainError(Exception):
    """A command breaks a rule of the domain; nothing was changed."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
