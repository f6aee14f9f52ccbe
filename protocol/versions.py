"""Protocol versions as frozen records of what each version allows.

Code asks a version for a limit or a flag; it never compares version numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from protocol.canonical import MAX_DEPTH, MAX_OBJECT_BYTES
from protocol.errors import ErrorCode, RemoteProtocolError
from protocol.schemas import SCHEMAS


@dataclass(frozen=True, slots=True)
class ProtocolVersion:
    number: int
    kinds: frozenset[str]
    max_envelope_bytes: int
    max_depth: int
    max_refs: int
    # Direct (node-to-node) messages carry a NaCl box instead of plain text.
    sealed_direct_messages: bool
    # A retracted envelope may travel without its body, keeping its header.
    body_may_be_absent: bool


V1: Final = ProtocolVersion(
    number=1,
    kinds=frozenset(SCHEMAS),
    max_envelope_bytes=MAX_OBJECT_BYTES,
    max_depth=MAX_DEPTH,
    max_refs=256,
    sealed_direct_messages=True,
    body_may_be_absent=True,
)

SUPPORTED: Final[dict[int, ProtocolVersion]] = {1: V1}
CURRENT: Final = V1


def version(number: object) -> ProtocolVersion:
    """The version record for an envelope's ``v``; unknown versions are refused."""
    if type(number) is not int:
        raise RemoteProtocolError(ErrorCode.BAD_FIELD, f"v must be an integer, not {number!r}")
    found = SUPPORTED.get(number)
    if found is None:
        raise RemoteProtocolError(
            ErrorCode.UNSUPPORTED_VERSION,
            f"protocol version {number} is not supported (supported: {sorted(SUPPORTED)})",
        )
    return found
