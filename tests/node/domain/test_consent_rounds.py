"""The round controls of the consent process, as the pure machine applies them:
extending and reopening a round, testing an objection, co-writing the amendment, standing
aside, the charter's quorum and stances recorded by the secretary (§13.2, §13.3); each
allowed, and refused with its code when it is not. (Closing a round early, once every
member answered, §13.3 allowed already.)"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

import pytest

from node.domain import DomainError
from node.domain.circles import CircleMember, CircleState
from node.domain.consent import (
    Amended,
    ConsentRules,
    Decided,
    Event,
    PhaseChanged,
    ProposalState,
    Proposed,
    StanceGiven,
    apply,
    decide,
    start,
    verify_decision,
)
from protocol import RemoteProtocolError, circle_id, validate_body
from protocol.schemas import PhaseBody, ProposalBody, StanceBody

HOME = "ed25519:0EqyMnQrtKs6E2i9RhXk5tAiSrcaAWuvhSCjMsl3hzc"
T0 = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def actor(handle: str) -> str:
    return f"{handle}@{HOME}"


def hid(label: str) -> str:
    digest = hashlib.sha256(label.encode()).digest()
    return "sha256:" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


ANA, BEA, CAI, FAY, SAM, OUT = (actor(h) for h in ("ana", "bea", "cai", "fay", "sam", "out"))
ROOT = hid("v1")
MEETING = hid("meeting")
ROLES = {ANA: (), BEA: (), CAI: (), FAY: ("facilitator",), SAM: ("secretary",)}
C = CircleState(
    id=circle_id("c", HOME),
    home=HOME,
    name="C",
    aim="an aim",
    members={m: CircleMember(m, "active", r) for m, r in ROLES.items()},
)
VOTERS = sorted(ROLES)


def code_of(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    with pytest.raises(DomainError) as info:
        fn(*args, **kwargs)
    return info.value.code


def run(
    state: ProposalState, *events: Event, now: dt.datetime = T0, rules: ConsentRules | None = None
) -> ProposalState:
    for ev in events:
        state = apply(state, ev, circle=C, now=now, rules=rules or ConsentRules())
    return state


def phase(p: str, deadline: dt.datetime | None = None, by: str = FAY) -> PhaseChanged:
    return PhaseChanged(by, p, deadline)


def finding(objection: str, valid: bool, by: str = FAY, label: str = "t") -> PhaseChanged:
    body = validate_body(
        "phase",
        {
            "proposal": ROOT,
            "phase": "consent",
            "test": {"objection": objection, "valid": valid, "reason": "not about the aim"},
        },
    )
    assert isinstance(body, PhaseBody)
    return PhaseChanged.from_body(by, body, hid(label))


def stance(member: str, value: Any = "consent", version: str = ROOT, tag: str = "") -> StanceGiven:
    reason = "" if value == "consent" else "a reason"
    return StanceGiven(hid(f"s-{member}-{version}-{value}{tag}"), member, version, value, reason)


def in_round(deadline: dt.datetime | None = None) -> ProposalState:
    body = validate_body("proposal", {"title": "Buy a van", "text": "For the food bank."})
    s = start(Proposed.from_body(ROOT, ANA, body), circle=C)
    return run(s, phase("presented"), phase("questions"), phase("reactions"), phase("consent"))


# --- extend, reopen, close early ---------------------------------------------------------


def test_the_facilitator_extends_an_open_round_to_a_later_deadline() -> None:
    s = run(in_round(), stance(ANA))
    assert s.deadline == T0 + 72 * HOUR
    later = T0 + 96 * HOUR
    extended = run(s, phase("consent", later), now=T0 + HOUR)
    assert extended.deadline == later
    assert extended.stances == s.stances  # the stances given stay
    # A stance after the old deadline now counts.
    assert BEA in run(extended, stance(BEA), now=T0 + 80 * HOUR).stances
    # Refused: an earlier (or equal) deadline, none, one in the past, another person.
    assert code_of(run, s, phase("consent", T0 + 72 * HOUR)) == "consent.bad_deadline"
    assert code_of(run, s, phase("consent", T0 + 24 * HOUR)) == "consent.bad_deadline"
    assert code_of(run, s, phase("consent")) == "consent.bad_deadline"
    assert code_of(run, s, phase("consent", later, by=ANA)) == "consent.not_facilitator"


def test_a_round_whose_deadline_passed_is_reopened_with_its_stances() -> None:
    s = run(in_round(), stance(ANA), stance(BEA, "concern"))
    late = T0 + 80 * HOUR
    assert code_of(run, s, stance(CAI), now=late) == "consent.round_closed"
    reopened = run(s, phase("consent", late + 24 * HOUR), now=late)
    assert reopened.stances == s.stances
    assert CAI in run(reopened, stance(CAI), now=late + HOUR).stances
    # A reopening deadline already past is refused; so is reopening after the decision.
    assert code_of(run, s, phase("consent", late - HOUR), now=late) == "consent.bad_deadline"
    everyone = run(s, stance(CAI), stance(FAY), stance(SAM))
    done = run(everyone, Decided(FAY, decide(everyone, C, T0)))
    assert code_of(run, done, phase("consent", late)) == "consent.bad_transition"
    # Outside a round, `consent` opens one as before (no extension of what is not open).
    draft = start(Proposed(hid("other"), ANA, "t"), circle=C)
    assert code_of(run, draft, phase("consent", late)) == "consent.bad_transition"


# --- testing an objection ---------------------------------------------------------------


def test_an_objection_found_to_be_none_no_longer_blocks_and_the_decision_records_it() -> None:
    objection = stance(CAI, "object")
    s = run(in_round(), objection, *(stance(m) for m in (ANA, BEA, FAY, SAM)))
    assert code_of(decide, s, C, T0) == "consent.objection_unresolved"
    tested = run(s, finding(objection.id, valid=False))
    (o,) = tested.objections
    assert (o.valid, o.test, o.test_reason) == (False, hid("t"), "not about the aim")
    assert tested.open_objections() == []
    body = decide(tested, C, T0)
    assert body["tests"] == [hid("t")]
    assert objection.id in body["stances"]
    verify_decision(tested, C, body, at=T0)
    assert run(tested, Decided(FAY, body)).outcome == "adopted"
    # A decision that leaves the test out does not re-verify.
    without = {k: v for k, v in body.items() if k != "tests"}
    assert code_of(verify_decision, tested, C, without, at=T0) == "consent.bad_decision"
    # The same decision where the objection was not tested: it stands.
    assert code_of(verify_decision, s, C, body, at=T0) == "consent.objection_unresolved"
    # Integrating needs a standing objection: one found to be none is not.
    assert code_of(run, tested, phase("integrating")) == "consent.bad_transition"


def test_an_objection_found_valid_is_integrated_and_tests_are_refused_when_not_allowed() -> None:
    objection = stance(CAI, "object")
    s = run(in_round(), objection)
    valid = run(s, finding(objection.id, valid=True))
    assert valid.objections[0].valid is True
    assert [o.stance for o in valid.open_objections()] == [objection.id]
    assert run(valid, phase("integrating")).phase == "integrating"
    assert code_of(run, s, finding(objection.id, False, by=ANA)) == "consent.not_facilitator"
    assert code_of(run, s, finding(hid("no such"), False)) == "consent.unknown_objection"
    replaced = run(s, stance(CAI, "concern"))  # the objection was withdrawn
    assert code_of(run, replaced, finding(objection.id, False)) == "consent.unknown_objection"
    integrating = run(s, phase("integrating"))
    assert code_of(run, integrating, finding(objection.id, False)) == "consent.not_in_round"


def test_a_test_has_phase_consent_no_deadline_and_a_reason() -> None:
    test = {"objection": ROOT, "valid": False, "reason": "x"}
    for body in (
        {"proposal": ROOT, "phase": "integrating", "test": test},
        {"proposal": ROOT, "phase": "consent", "deadline": "2026-11-23T10:00:00Z", "test": test},
        {"proposal": ROOT, "phase": "consent", "test": {**test, "reason": " "}},
    ):
        with pytest.raises(RemoteProtocolError) as info:
            validate_body("phase", body)
        assert info.value.code == "schema.invalid"


# --- co-writing the amendment -------------------------------------------------------------


def amendment(by: str, coauthors: tuple[str, ...] = ()) -> Amended:
    body = ProposalBody(
        title="Buy a van",
        text="Insured.",
        root=ROOT,
        version=2,
        changes="insurance",
        coauthors=list(coauthors),
    )
    return Amended.from_body(hid("v2"), by, body)


def test_the_objector_writes_the_next_version_with_co_authors() -> None:
    objection = stance(CAI, "object")
    s = run(in_round(), objection, phase("integrating"))
    assert code_of(run, s, amendment(BEA)) == "consent.not_proposer"  # no objection of hers
    v2 = run(s, amendment(CAI, (ANA,)))
    assert v2.current.author == CAI
    assert v2.current.coauthors == (ANA,)
    assert v2.objections[0].resolved_by == hid("v2")
    assert code_of(run, s, amendment(ANA, (OUT,))) == "consent.not_member"
    # Once the objection was found to be none, its author no longer co-writes.
    tested = run(in_round(), objection, finding(objection.id, valid=False))
    other = run(tested, stance(BEA, "object"), phase("integrating"))
    assert code_of(run, other, amendment(CAI)) == "consent.not_proposer"
    assert run(other, amendment(BEA)).current.author == BEA


# --- standing aside -------------------------------------------------------------------------


def test_standing_aside_neither_blocks_nor_consents() -> None:
    body = validate_body("stance", {"proposal": ROOT, "stance": "stand_aside", "reason": "away"})
    assert isinstance(body, StanceBody)
    with pytest.raises(RemoteProtocolError):
        validate_body("stance", {"proposal": ROOT, "stance": "stand_aside"})  # no reason
    aside = StanceGiven.from_body(hid("aside"), BEA, body)
    s = run(in_round(), aside, *(stance(m) for m in (ANA, CAI, FAY, SAM)))
    assert s.stances[BEA].value == "stand_aside"
    assert s.open_objections() == []
    decision = decide(s, C, T0)
    assert hid("aside") in decision["stances"]
    verify_decision(s, C, decision, at=T0)
    # Alone, standing aside adopts nothing: it is no consent.
    alone = run(in_round(), *(StanceGiven(hid(m), m, ROOT, "stand_aside", "r") for m in VOTERS))
    assert code_of(decide, alone, C, T0) == "consent.no_consent"


# --- the quorum ---------------------------------------------------------------------------


def test_a_round_below_the_quorum_does_not_close_by_silence() -> None:
    rules = ConsentRules("absent", 24, quorum=60)
    validate_body("circle", {"name": "C", "aim": "a", "quorum": 60})
    with pytest.raises(RemoteProtocolError):
        validate_body("circle", {"name": "C", "aim": "a", "quorum": 101})
    two = run(in_round(), stance(ANA), stance(BEA))  # 2 of 5: 40 %
    after = T0 + 100 * HOUR
    assert code_of(decide, two, C, after, rules=rules) == "consent.below_quorum"
    forged = decide(two, C, after)  # as if there were no quorum
    assert code_of(verify_decision, two, C, forged, at=after, rules=rules) == (
        "consent.below_quorum"
    )
    three = run(two, stance(CAI))  # 3 of 5: 60 %
    body = decide(three, C, after, rules=rules)
    assert body["silent"] == [FAY, SAM]
    verify_decision(three, C, body, at=after, rules=rules)


# --- the secretary records a round held in the room -------------------------------------------


def recorded(member: str, value: str = "consent", by: str = SAM, open_: bool = True) -> StanceGiven:
    body = validate_body(
        "stance",
        {
            "proposal": ROOT,
            "stance": value,
            "reason": "said aloud",
            "member": member,
            "meeting": MEETING,
        },
    )
    assert isinstance(body, StanceBody)
    return StanceGiven.from_body(hid(f"r-{member}-{value}"), by, body, meeting_open=open_)


def test_the_secretary_records_stances_given_aloud_and_a_members_own_replaces_them() -> None:
    s = run(in_round(), recorded(BEA, "object"))
    assert s.stances[BEA].recorded_by == SAM
    assert s.stances[BEA].meeting == MEETING
    assert [o.member for o in s.open_objections()] == [BEA]
    own = run(s, stance(BEA))
    assert own.stances[BEA].recorded_by is None
    assert own.open_objections() == []
    assert code_of(run, s, recorded(CAI, by=ANA)) == "consent.not_secretary"
    assert code_of(run, s, recorded(CAI, open_=False)) == "consent.no_meeting"
    assert code_of(run, s, recorded(OUT)) == "consent.not_member"
    with pytest.raises(RemoteProtocolError):
        validate_body("stance", {"proposal": ROOT, "stance": "consent", "member": BEA})
    everyone = run(in_round(), *(recorded(m) for m in VOTERS))
    verify_decision(everyone, C, decide(everyone, C, T0), at=T0)
