"""What the allies' service hands out and takes: an ally's entry, what they can do, the
consent words a person is shown and their version. Plain frozen values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from node.domain.errors import DomainError

#: What an ally can do, in the order the form and the admins' list show it.
CAN: Final = ("call", "march", "testify", "host")
CAN_WORDS: Final = {
    "call": "call officials",
    "march": "march",
    "testify": "testify at hearings",
    "host": "host a meeting",
}

#: The consent words shown beside the form; a change of words is a new version, so the
#: record says exactly what each person agreed to.
CONSENT_VERSION: Final = "1"
CONSENT_WORDS: Final = (
    "{org} keeps your name, e-mail address, town, what you can do and your note on its"
    " own server only, to ask you to join the actions you offered, and may invite you to"
    " become a member. They are never shared with other organizations. You can ask us"
    " to erase them at any time, and we will."
)

MAX_NAME: Final = 120
MAX_TOWN: Final = 120
MAX_NOTE: Final = 1000
MAX_ADDRESS: Final = 254


def consent_words(org: str) -> str:
    """The consent words as this organization shows them."""
    return CONSENT_WORDS.format(org=org)


@dataclass(frozen=True, slots=True)
class Ally:
    """One person's entry; ``can`` holds names of ``CAN``. ``invited_as`` is the handle
    the admin proposed when inviting them, ``invited_by`` that admin's handle."""

    id: int
    address: str
    name: str
    town: str
    can: tuple[str, ...]
    note: str
    signed_up_at: str
    updated_at: str
    invited_at: str | None = None
    invited_by: str | None = None
    invited_as: str | None = None

    @property
    def can_words(self) -> list[str]:
        return [CAN_WORDS[c] for c in self.can]


@dataclass(frozen=True, slots=True)
class Invited:
    """An invitation made for an ally: mailed through the outbox, or its one-time token
    for the admin to pass on (``token`` None when it was mailed)."""

    handle: str
    mailed: bool
    token: str | None


class AllyRefused(DomainError):
    """A refusal of the allies' rules, naming the field of the form it concerns (name,
    address, town, can, note, consent, handle; "" for none)."""

    def __init__(self, code: str, message: str, field: str = "") -> None:
        super().__init__(code, message)
        self.field = field
