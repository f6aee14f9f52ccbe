"""Members of this node: handle, display name, node role (member or admin)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from node.domain.errors import DomainError
from protocol.ids import HANDLE_PATTERN

NodeRole = Literal["member", "admin"]
_HANDLE = re.compile(HANDLE_PATTERN)
MIN_PASSWORD = 10


@dataclass(frozen=True, slots=True)
class Member:
    handle: str
    display_name: str
    role: NodeRole
    disabled: bool = False


def new_member(existing: Member | None, handle: str, display_name: str, role: str) -> Member:
    """Decide whether a member may be added; return it."""
    if not _HANDLE.fullmatch(handle):
        raise DomainError(
            "member.bad_handle",
            f"{handle!r}: a handle is 1-32 of a-z 0-9 _ . - and starts with a letter or digit",
        )
    if existing is not None:
        raise DomainError("member.exists", f"a member {handle!r} exists already")
    if role not in ("member", "admin"):
        raise DomainError("member.bad_role", f"role must be member or admin, not {role!r}")
    name = display_name.strip()
    if not name or len(name) > 200:
        raise DomainError("member.bad_name", "a display name is 1-200 characters")
    return Member(handle, name, role)  # type: ignore[arg-type]


def require(member: Member | None, handle: str) -> Member:
    if member is None:
        raise DomainError("member.unknown", f"no member {handle!r} on this node")
    return member


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise DomainError(
            "member.weak_password", f"a password has at least {MIN_PASSWORD} characters"
        )
