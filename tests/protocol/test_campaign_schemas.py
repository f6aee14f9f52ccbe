"""Campaign bodies (PROTOCOL.md §8.13): every object decodes with every field, and each
field type, bound and rule refuses what it must, the fast check agreeing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import msgspec
import pytest

from protocol import sha256_id, validate_body
from protocol.campaigns import (
    OBJECTS,
    Action,
    Answer,
    Article,
    Campaign,
    Commitment,
    Demand,
    Plan,
    Pledge,
    StatusChange,
    Target,
)
from protocol.errors import ErrorCode, RemoteProtocolError
from protocol.fastcheck import body_ok

C, T, D, P = (sha256_id(bytes([i])) for i in range(4))
URL = "https://riverton.example/mayor"

FULL: dict[str, dict[str, Any]] = {
    "campaign": {
        "object": "campaign",
        "ref": C,
        "name": "Accountable policing",
        "goal": "Body cameras for every officer.",
        "description": "The coalition's first campaign.",
        "status": "paused",
        "pressure_days": 14,
        "public": True,
    },
    "target": {
        "object": "target",
        "campaign": C,
        "name": "Sam Rivera",
        "given_name": "Sam",
        "family_name": "Rivera",
        "office_type": "district_attorney",
        "title": "District Attorney",
        "jurisdiction": "Riverton County",
        "ocd_division": "ocd-division/country:us/state:mn/county:riverton",
        "party": "Independent",
        "term_start": "2026-01-02",
        "term_end": "2029-12-31",
        "offices": [{"classification": "capitol", "address": "1 Main St", "voice": "555 0100"}],
        "email": "da@riverton.example",
        "contact_form": URL + "/contact",
        "website": URL,
        "platform_url": "http://rivera.example/platform",
        "photo_url": URL + ".jpg",
        "positions": [{"date": "2026-03-01", "text": "For cameras.", "source": URL}],
        "sources": [{"url": URL, "checked": "2026-11-01"}, {"url": URL + "/2", "checked": None}],
        "ids": [{"scheme": "openstates", "value": "ocd-person/1"}],
        "candidacy": {
            "election_date": "2027-11-02",
            "office": "District Attorney",
            "district": "County",
            "result": "won",
        },
        "notes": "Chooses which cases to try.",
    },
    "demand": {
        "object": "demand",
        "campaign": C,
        "title": "End money bail",
        "text": "No one stays in jail for being poor.",
        "reasoning": "Bail punishes poverty.",
        "script": "Hello, I live in Riverton …",
        "target": None,
        "office_type": "district_attorney",
    },
    "status": {
        "object": "status",
        "campaign": C,
        "demand": D,
        "target": T,
        "status": "partly_met",
        "date": "2026-12-01",
        "evidence": {"url": URL, "quote": "We will look at it.", "note": "At the forum."},
    },
    "commitment": {
        "object": "commitment",
        "campaign": C,
        "target": T,
        "demand": D,
        "what": "A policy by spring.",
        "made": "2026-12-01",
        "due": "2026-12-01",
        "kept": "broken",
    },
    "action": {
        "object": "action",
        "campaign": C,
        "target": T,
        "demand": D,
        "channel": "public_comment",
        "date": "2026-12-08",
        "outcome": "Spoke for two minutes",
        "response": "Thanked us.",
        "notes": "Bring more people next time.",
        "plan": P,
    },
    "plan": {
        "object": "plan",
        "campaign": C,
        "title": "Tuesday call day",
        "channel": "call",
        "weekday": 6,
        "starts": "2026-12-01",
        "ends": "2027-06-30",
        "targets": [T],
        "demand": D,
        "script": "Ask for the policy.",
    },
    "pledge": {"object": "pledge", "campaign": C, "plan": P, "date": "2026-12-08"},
    "answer": {
        "object": "answer",
        "campaign": C,
        "target": T,
        "demand": D,
        "answer": "no_answer",
        "evidence": {"url": None, "quote": "", "note": "Did not return the questionnaire."},
    },
    "article": {
        "object": "article",
        "ref": C,
        "title": "How to fight for reform",
        "slug": "how-to-fight-for-reform",
        "summary": "Know who decides.",
        "body": "## Know who decides\n\nYour *mayor* and council.",
        "withdrawn": True,
    },
}
TYPES = {
    "campaign": Campaign,
    "target": Target,
    "demand": Demand,
    "status": StatusChange,
    "commitment": Commitment,
    "action": Action,
    "plan": Plan,
    "pledge": Pledge,
    "answer": Answer,
    "article": Article,
}


def code_of(body: dict[str, Any]) -> ErrorCode:
    assert not body_ok("campaign", body)
    with pytest.raises(RemoteProtocolError) as info:
        validate_body("campaign", body)
    return info.value.code


def changed(obj: str, **changes: Any) -> dict[str, Any]:
    body = FULL[obj] | changes
    return {k: v for k, v in body.items() if v is not None or k not in changes}


def test_the_examples_cover_every_object() -> None:
    assert set(FULL) == set(OBJECTS) == set(TYPES)


@pytest.mark.parametrize("obj", OBJECTS)
def test_every_object_decodes_with_every_field(obj: str) -> None:
    typed = validate_body("campaign", FULL[obj])
    assert type(typed) is TYPES[obj]
    assert body_ok("campaign", FULL[obj])
    assert msgspec.to_builtins(typed) == {"ref": None} | FULL[obj]


def test_decoded_fields_have_their_types() -> None:
    target = validate_body("campaign", FULL["target"])
    assert target.term_end == dt.date(2029, 12, 31)
    assert target.candidacy.result == "won"
    assert target.offices[0].voice == "555 0100"
    assert target.ids[0].value == "ocd-person/1"
    minimal = validate_body(
        "campaign",
        {
            "object": "target",
            "campaign": C,
            "name": "Jo",
            "office_type": "mayor",
            "jurisdiction": "X",
        },
    )
    assert (minimal.ocd_division, minimal.candidacy, minimal.offices) == (None, None, [])
    assert (
        validate_body("campaign", {"object": "campaign", "name": "N", "goal": ""}).pressure_days
        == 7
    )


@pytest.mark.parametrize(
    ("obj", "changes"),
    [
        ("demand", {"target": T}),  # both a target and an office type
        ("demand", {"office_type": None}),  # neither
        ("target", {"term_start": "2030-01-01"}),  # the term ends before it starts
        ("target", {"ids": [{"scheme": "openstates", "value": "a"}] * 2}),
        ("plan", {"ends": "2026-11-30"}),
        ("plan", {"targets": [T, T]}),
        ("commitment", {"due": "2026-11-30"}),
    ],
)
def test_rules_across_fields_refuse(obj: str, changes: dict[str, Any]) -> None:
    assert code_of(changed(obj, **changes)) == ErrorCode.BODY_INVALID


def test_a_demand_of_one_target_decodes() -> None:
    demand = validate_body("campaign", changed("demand", office_type=None) | {"target": T})
    assert (demand.target, demand.office_type) == (T, None)


@pytest.mark.parametrize(
    ("obj", "field", "value"),
    [
        ("target", "office_type", "Mayor"),
        ("target", "office_type", "1mayor"),
        ("target", "office_type", "m" * 41),
        ("target", "office_type", "mayor\n"),
        ("target", "ocd_division", "ocd-division/country:USA"),
        ("target", "ocd_division", "ocd-division/country:us/state"),
        ("target", "ocd_division", "ocd-division/country:us/place:a b"),
        (
            "target",
            "ocd_division",
            "ocd-division/country:us/" + "p:" + "x" * 280 + "/q:" + "y" * 10,
        ),
        ("target", "ocd_division", "ocd-division/country:us\n"),
        ("target", "website", "ftp://riverton.example"),
        ("target", "website", "https://riverton.example/a b"),
        ("target", "website", "https://"),
        ("target", "website", URL + "\n"),
        ("target", "website", "https://" + "a" * 1993),
        ("target", "term_end", "2029-02-30"),
        ("target", "offices", [{}] * 21),
        ("target", "positions", [{"date": "2026-01-01", "text": ""}] * 101),
        ("target", "sources", [{"url": URL}] * 51),
        ("target", "ids", [{"scheme": "s", "value": str(i)} for i in range(21)]),
        ("target", "candidacy", {"election_date": "2027-11-02", "office": "DA", "result": "tied"}),
        ("target", "candidacy", {"election_date": "2027-11-02", "office": ""}),
        ("campaign", "pressure_days", 0),
        ("campaign", "pressure_days", 366),
        ("campaign", "pressure_days", True),
        ("campaign", "status", "won_big"),
        ("campaign", "public", "yes"),
        ("article", "slug", "Not A Slug"),
        ("article", "slug", "trailing-"),
        ("article", "slug", "a" * 81),
        ("article", "title", ""),
        ("article", "body", "x" * 50001),
        ("article", "withdrawn", 1),
        ("status", "status", "open"),
        ("status", "evidence", {"url": "mailto:da@riverton.example"}),
        ("action", "channel", "fax"),
        ("action", "channel", "contact"),
        ("plan", "weekday", 7),
        ("plan", "weekday", -1),
        ("plan", "targets", [sha256_id(bytes([i, 1])) for i in range(201)]),
        ("answer", "answer", "yes"),
        ("commitment", "kept", "maybe"),
        ("pledge", "plan", "sha1:abc"),
    ],
)
def test_field_types_and_bounds_refuse(obj: str, field: str, value: Any) -> None:
    assert code_of(changed(obj, **{field: value})) == ErrorCode.BODY_INVALID


@pytest.mark.parametrize(
    ("obj", "field", "value"),
    [
        ("target", "website", "https://" + "a" * 1992),  # 2000 code points
        ("target", "ocd_division", "ocd-division/country:us"),
        ("target", "office_type", "m" * 40),
        ("campaign", "pressure_days", 1),
        ("campaign", "pressure_days", 365),
        ("plan", "weekday", 0),
        ("plan", "targets", []),
        ("action", "channel", "rally"),
    ],
)
def test_values_at_the_bounds_pass(obj: str, field: str, value: Any) -> None:
    body = changed(obj, **{field: value})
    assert getattr(validate_body("campaign", body), field) == value
    assert body_ok("campaign", body)


@pytest.mark.parametrize(
    "body",
    [
        changed("target", offices=[{"room": "3"}]),
        changed("status", evidence={"document": "x"}),
        changed("target", candidacy={"election_date": "2027-11-02", "office": "DA", "seat": 1}),
        changed("demand", status="open"),  # version 1's per-demand status is gone
        changed("target", office="Mayor"),
    ],
)
def test_unknown_members_refuse_at_any_depth(body: dict[str, Any]) -> None:
    assert code_of(body) == ErrorCode.BODY_UNKNOWN_FIELD


def test_the_old_contact_object_is_gone() -> None:
    contact = {
        "object": "contact",
        "campaign": C,
        "target": T,
        "when": "2026-12-01T10:00:00Z",
        "channel": "call",
        "summary": "Called.",
    }
    assert code_of(contact) == ErrorCode.BODY_INVALID


@pytest.mark.parametrize("field", ["evidence", "date", "target", "demand", "status"])
def test_a_status_needs_each_of_its_fields(field: str) -> None:
    body = {k: v for k, v in FULL["status"].items() if k != field}
    assert code_of(body) == ErrorCode.BODY_MISSING_FIELD


def test_a_proposal_adopts_distinct_versions_up_to_200() -> None:
    base = {"title": "Adopt the campaign", "text": "We run it."}
    assert validate_body("proposal", base).adopts == []
    many = [sha256_id(bytes([i, 2])) for i in range(200)]
    assert validate_body("proposal", base | {"adopts": many}).adopts == many
    amendment = base | {"root": C, "version": 2, "adopts": [T, D]}
    assert validate_body("proposal", amendment).adopts == [T, D]
    for adopts in ([T, T], [*many, C], ["campaign"]):
        with pytest.raises(RemoteProtocolError) as info:
            validate_body("proposal", base | {"adopts": adopts})
        assert info.value.code == ErrorCode.BODY_INVALID
