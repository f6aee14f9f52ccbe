"""The words the campaign pages use for the protocol's codes (PROTOCOL.md §8.13): a
channel, a demand's status, a candidate's answer, a commitment's state, a weekday."""

from __future__ import annotations

from typing import Final

CHANNELS: Final = {
    "call": "Call",
    "email": "E-mail",
    "letter": "Letter",
    "petition": "Petition",
    "meeting": "Meeting",
    "testimony": "Testimony",
    "public_comment": "Public comment",
    "rally": "Rally",
}
STATUSES: Final = {
    "not_asked": "not asked yet",
    "asked": "asked",
    "in_talks": "in talks",
    "committed": "committed",
    "partly_met": "partly met",
    "met": "met",
    "refused": "refused",
}
ANSWERS: Final = {
    "pledged": "pledged",
    "partly": "partly pledged",
    "refused": "refused",
    "no_answer": "no answer",
}
KEPT: Final = {"open": "open", "kept": "kept", "broken": "broken"}
CAMPAIGN_STATUSES: Final = {"active": "active", "won": "won", "lost": "lost", "paused": "paused"}
WEEKDAYS: Final = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
OFFICE_TYPES: Final = {"mayor": "mayor", "district_attorney": "district attorney"}


def office_words(office_type: str) -> str:
    """An office type as people say it: ``district_attorney`` is "district attorney"."""
    return OFFICE_TYPES.get(office_type, office_type.replace("_", " "))


#: What the templates get to say these codes in words.
WORDS: Final = {
    "channels": CHANNELS,
    "statuses": STATUSES,
    "answers": ANSWERS,
    "kept": KEPT,
    "weekdays": WEEKDAYS,
    "office": office_words,
}
