"""What the OSDI read API serves, in OSDI's own terms: adopted campaigns, their officials
and their outreaches (logged actions), without any member in them.

``node.osdi.reads`` fills these; ``web_ui.osdi.documents`` turns them into hal+json.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Office:
    """One of an official's offices, as the campaign recorded it."""

    classification: str
    address: str
    voice: str


@dataclass(frozen=True, slots=True)
class Official:
    """A target of a campaign: an office holder or candidate (a public figure)."""

    name: str
    given_name: str
    family_name: str
    office_type: str
    title: str
    jurisdiction: str
    ocdid: str | None
    email: str = ""
    offices: tuple[Office, ...] = ()


@dataclass(frozen=True, slots=True)
class AdvocacyCampaign:
    """An adopted campaign, with its adopted officials and how many actions it logged."""

    id: str
    name: str
    goal: str
    description: str
    created: str
    modified: str
    officials: tuple[Official, ...]
    total_outreaches: int
    scripts: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Outreach:
    """An action a member logged: when, by which channel, whom it reached; never who."""

    id: str
    campaign_id: str
    created: str
    modified: str
    action_date: str
    channel: str
    official: Official
