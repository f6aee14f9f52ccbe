"""The domain rules as pure functions: state and a command in, a decision (or a
DomainError with a code) out. No I/O, no storage, no aiohttp."""

from node.domain.errors import DomainError

__all__ = ["DomainError"]
