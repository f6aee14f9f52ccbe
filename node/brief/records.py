"""The Coalition Brief's values: the words a person agrees to when signing up (kept with
their version in each consent record), an issue, how its sending stands, a row of the
subscribers' export."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final

#: The sign-up's words, shown beside the form; a change gets a new version, so each
#: consent record says which words the person saw.
WORDING: Final = (
    "Send me the Coalition Brief: news of our campaigns and what I can do, about once"
    " a month. My e-mail address, name and town are used for the Brief only, never"
    " shared; every issue has a link to unsubscribe in one click."
)
WORDING_VERSION: Final = "1"
#: Where a sign-up came from: the brief's page or the public home's section.
FORMS: Final = ("brief", "home")
MAX_NAME: Final = 100
MAX_TOWN: Final = 100
MAX_SUBJECT: Final = 200
MAX_BODY: Final = 100_000


@dataclass(frozen=True, slots=True)
class Issue:
    """An issue of the brief: a draft until it is sent."""

    id: int
    subject: str
    body: str
    created_by: str
    created_at: str
    updated_at: str
    sent_by: str | None
    sent_at: str | None
    finished_at: str | None

    @property
    def sent(self) -> bool:
        return self.sent_at is not None


@dataclass(frozen=True, slots=True)
class Progress:
    """How an issue's mails stand in the outbox, and whether all were queued."""

    counts: dict[str, int] = field(default_factory=dict)
    finished: bool = False

    def count(self, state: str) -> int:
        return self.counts.get(state, 0)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True, slots=True)
class ExportRow:
    """A subscriber as the CSV export lists them."""

    address: str
    name: str
    town: str
    interests: str
    confirmed: str
    wording_version: str


EXPORT_HEADER: Final = ("address", "name", "town", "interests", "confirmed", "wording_version")
