"""What the ``nst demo`` campaign says: the coalition's demands of mayors and prosecutors
(each with its reasoning and a call script) and the fictional officials of Riverton and
Hollis County it asks them of. Pure data; ``node.cli.demo_campaign`` records it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Final, TypedDict


class CampaignText(TypedDict):
    name: str
    goal: str
    description: str
    pressure_days: int
    public: bool


class PlanText(TypedDict):
    title: str
    channel: str
    weekday: int
    script: str


CAMPAIGN: Final[CampaignText] = {
    "name": "Accountable policing in Riverton",
    "goal": "Riverton's mayor and Hollis County's district attorney meet the coalition's"
    " nine demands for accountable policing and fair prosecution.",
    "description": "Identify the officials, understand their platforms, demand change and"
    " keep up the pressure: the most persistent wins, day in and day out.",
    "pressure_days": 7,
    "public": True,  # on every member's public site once the circle adopts it
}


@dataclass(frozen=True)
class DemandText:
    key: str
    office_type: str
    title: str
    text: str
    reasoning: str
    script: str


def _script(ask: str) -> str:
    return (
        "Hello, my name is … and I live in Riverton. I am calling with the Riverside,"
        f" Northend and Eastside coalition. {ask} Will you commit to it? Thank you."
    )


DEMANDS: Final = (
    DemandText(
        "cameras",
        "mayor",
        "Universal body-camera use",
        "Every officer on duty wears a body camera, switched on for every contact with"
        " the public, and footage is kept and released under a public policy.",
        "The mayor appoints the police chief and sets conduct standards; footage protects"
        " residents and honest officers alike.",
        _script("I ask the mayor to require body cameras on every officer, on every call."),
    ),
    DemandText(
        "certification",
        "mayor",
        "Annual good-officer certification",
        "Every officer is certified each year as fit to serve, and the certification is"
        " revoked on a verified incident of excessive force.",
        "Officers with repeated complaints move between departments; a yearly check with"
        " a clear consequence stops that.",
        _script("I ask the mayor to certify officers yearly and revoke it for excessive force."),
    ),
    DemandText(
        "chokehold",
        "mayor",
        "Ban chokeholds",
        "Chokeholds and neck restraints are banned in the department's use-of-force policy.",
        "Neck restraints kill; several cities have banned them without harm to safety.",
        _script("I ask the mayor to ban chokeholds and every neck restraint."),
    ),
    DemandText(
        "bail",
        "district_attorney",
        "End money bail for poor defendants",
        "The office stops asking for cash bail from defendants who cannot pay it.",
        "People who have been convicted of nothing lose jobs and homes in jail because"
        " they are poor.",
        _script("I ask the district attorney to stop asking for cash bail from the poor."),
    ),
    DemandText(
        "kids",
        "district_attorney",
        "Keep kids out of adult jails",
        "No one under 18 is charged as an adult or held in an adult jail.",
        "Children held with adults are hurt and re-offend more often.",
        _script("I ask the district attorney to keep every child out of adult jails."),
    ),
    DemandText(
        "petty",
        "district_attorney",
        "Stop unnecessary prosecutions of petty crimes",
        "The office declines to prosecute petty offences such as fare evasion, loitering"
        " and small amounts of marijuana.",
        "These cases fill the courts, cost the county and mark people for life.",
        _script("I ask the district attorney to stop prosecuting petty offences."),
    ),
    DemandText(
        "officers",
        "district_attorney",
        "Prosecute bad officers",
        "Officers who break the law are investigated independently and prosecuted like"
        " anyone else.",
        "Trust in the law needs the law to hold for those who enforce it.",
        _script("I ask the district attorney to prosecute officers who break the law."),
    ),
    DemandText(
        "metrics",
        "district_attorney",
        "Publish the office's metrics",
        "The office publishes, every quarter: plea bargains offered and taken, cases by"
        " type, and recommended sentences by charge.",
        "What is measured and public can be judged by voters.",
        _script("I ask the district attorney to publish plea, case and sentence figures."),
    ),
    DemandText(
        "immigrants",
        "district_attorney",
        "Stop anti-immigrant prosecutions",
        "The office brings no charges whose purpose is to trigger deportation, and"
        " considers immigration consequences in plea offers.",
        "Neighbours should not fear calling for help or being witnesses.",
        _script("I ask the district attorney to end prosecutions aimed at immigrants."),
    ),
)


def targets(today: dt.date) -> dict[str, dict[str, Any]]:
    """The mayor, the district attorney (running again) and a challenger, by key."""
    election = today + dt.timedelta(days=75)
    checked = (today - dt.timedelta(days=40)).isoformat()
    candidacy = {
        "election_date": election.isoformat(),
        "office": "District Attorney",
        "district": "Hollis County",
    }
    return {
        "mayor": {
            "name": "Dana Whitfield",
            "given_name": "Dana",
            "family_name": "Whitfield",
            "office_type": "mayor",
            "title": "Mayor of Riverton",
            "jurisdiction": "City of Riverton",
            "ocd_division": "ocd-division/country:us/state:mn/place:riverton",
            "party": "Independent",
            "term_start": f"{today.year - 2}-01-02",
            "term_end": f"{today.year + 2}-01-03",
            "offices": [
                {
                    "classification": "primary",
                    "address": "City Hall, 100 Main Street, Room 200, Riverton",
                    "voice": "612-555-0100",
                }
            ],
            "email": "mayor@riverton.example",
            "website": "https://riverton.example/mayor",
            "platform_url": "https://whitfield-for-riverton.example/safety",
            "positions": [
                {
                    "date": f"{today.year - 3}-09-14",
                    "text": "Supports body cameras 'once the budget allows'.",
                    "source": "https://whitfield-for-riverton.example/safety",
                },
                {
                    "date": (today - dt.timedelta(days=20)).isoformat(),
                    "text": "Told a town hall a chokehold ban 'is on the table'.",
                    "source": "https://riverton-gazette.example/town-hall",
                },
            ],
            "sources": [{"url": "https://riverton.example/mayor", "checked": checked}],
        },
        "da": {
            "name": "Marcus T. Oyelaran",
            "given_name": "Marcus",
            "family_name": "Oyelaran",
            "office_type": "district_attorney",
            "title": "Hollis County District Attorney",
            "jurisdiction": "Hollis County",
            "ocd_division": "ocd-division/country:us/state:mn/county:hollis",
            "party": "Democratic-Farmer-Labor",
            "term_start": f"{today.year - 3}-01-03",
            "term_end": f"{today.year + 1}-01-02",
            "offices": [
                {
                    "classification": "primary",
                    "address": "Government Center, 300 Court Street, Riverton",
                    "voice": "612-555-0140",
                }
            ],
            "email": "da@hollis-county.example",
            "website": "https://hollis-county.example/attorney",
            "positions": [
                {
                    "date": f"{today.year - 4}-10-01",
                    "text": "Promised 'bail reform that keeps the public safe'.",
                    "source": "https://oyelaran2022.example/issues",
                }
            ],
            "sources": [{"url": "https://hollis-county.example/attorney", "checked": checked}],
            "candidacy": candidacy,
        },
        "challenger": {
            "name": "Grace Abernathy",
            "given_name": "Grace",
            "family_name": "Abernathy",
            "office_type": "district_attorney",
            "title": "Candidate for District Attorney",
            "jurisdiction": "Hollis County",
            "ocd_division": "ocd-division/country:us/state:mn/county:hollis",
            "party": "Independent",
            "email": "grace@abernathy-for-da.example",
            "website": "https://abernathy-for-da.example",
            "platform_url": "https://abernathy-for-da.example/platform",
            "positions": [
                {
                    "date": (today - dt.timedelta(days=30)).isoformat(),
                    "text": "Launched her campaign on ending cash bail.",
                    "source": "https://abernathy-for-da.example/platform",
                }
            ],
            "sources": [{"url": "https://abernathy-for-da.example", "checked": checked}],
            "candidacy": candidacy,
        },
    }


# Where the demands stand: (target, demand, [(status, days ago, evidence URL, quote)]).
STATUSES: Final = (
    ("mayor", "cameras", [("asked", 30, None, ""), ("committed", 9, None, "We will fund it.")]),
    ("mayor", "certification", [("asked", 30, None, ""), ("in_talks", 12, None, "")]),
    ("mayor", "chokehold", [("asked", 30, "https://riverton-gazette.example/town-hall", "")]),
    ("da", "bail", [("asked", 28, None, ""), ("partly_met", 6, None, "No bail under $500.")]),
    ("da", "kids", [("asked", 28, None, "")]),
    ("da", "petty", [("asked", 28, None, ""), ("refused", 15, None, "The law is the law.")]),
    ("da", "officers", [("asked", 28, None, ""), ("in_talks", 4, None, "")]),
    (
        "da",
        "metrics",
        [("asked", 28, None, ""), ("met", 2, "https://hollis-county.example/data", "")],
    ),
)

# The candidates' questionnaires: (target, demand, answer, quote).
ANSWERS: Final = (
    ("challenger", "bail", "pledged", "Cash bail ends on my first day."),
    ("challenger", "kids", "pledged", ""),
    ("challenger", "petty", "pledged", ""),
    ("challenger", "officers", "pledged", "No one is above the law."),
    ("challenger", "metrics", "partly", "Yearly, not quarterly."),
    ("challenger", "immigrants", "pledged", ""),
    ("da", "bail", "partly", ""),
    ("da", "kids", "pledged", ""),
    ("da", "petty", "refused", ""),
    ("da", "immigrants", "no_answer", ""),
)

# A week of actions, one a line: (days ago, target, demand, channel, outcome).
ACTIONS: Final = (
    (6, "mayor", "chokehold", "call", "left a message with the scheduler"),
    (6, "da", "kids", "email", "sent the coalition's letter"),
    (5, "da", "bail", "meeting", "met the chief deputy for half an hour"),
    (5, "mayor", "certification", "letter", "delivered 40 signed letters"),
    (4, "mayor", "chokehold", "public_comment", "spoke at the council meeting"),
    (4, "da", "officers", "call", "the office took our number"),
    (3, "mayor", "cameras", "petition", "handed over 1,200 signatures"),
    (3, "challenger", "bail", "meeting", "candidate forum with 60 people"),
    (2, "da", "metrics", "call", "thanked them for the published figures"),
    (2, "mayor", "certification", "testimony", "testified at the safety committee"),
    (1, "da", "immigrants", "rally", "120 people outside the Government Center"),
    (1, "mayor", "chokehold", "call", "spoke to the mayor's aide"),
    (0, "da", "petty", "email", "asked for a meeting about petty offences"),
    (0, "mayor", "cameras", "call", "asked when the budget line is published"),
)

CALL_DAY: Final[PlanText] = {
    "title": "Tuesday call day",
    "channel": "call",
    "weekday": 1,  # Tuesday
    "script": "Call the mayor's office and the district attorney's office; read the script"
    " of the demand of the week, ask for a commitment, and log what they said.",
}
