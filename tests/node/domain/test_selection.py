"""Elections by consent as a pure state machine: a whole election, every error code, the
silence policies, forged results, the concurrency rules, and a stateful model check."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
from collections.abc import Callable
from typing import Any

import msgspec
import pytest
from hypothesis import event as note
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from node.domain import DomainError
from node.domain.circles import CircleMember, CircleState
from node.domain.roles import register
from node.domain.selection import (
    ConsentRules,
    Event,
    Nominated,
    Opened,
    PhaseMoved,
    ResultRecorded,
    Revealed,
    SelectionState,
    StanceGiven,
    add_months,
    apply,
    commitment_of,
    result_body,
    start,
    term_end_of,
    term_expiring,
    verify_result,
)
from protocol import circle_id, validate_body
from protocol.canonical import encode
from protocol.ids import sha256_id

HOME = "ed25519:0EqyMnQrtKs6E2i9RhXk5tAiSrcaAWuvhSCjMsl3hzc"
OTHER_NODE = "ed25519:" + base64.urlsafe_b64encode(b"\x01" * 32).decode().rstrip("=")
T0 = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)
START = dt.date(2026, 12, 1)


def actor(handle: str) -> str:
    return f"{handle}@{HOME}"


def hid(label: str) -> str:
    digest = hashlib.sha256(label.encode()).digest()
    return "sha256:" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def salt(label: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(label.encode()).digest()[:16]).decode()[:22]


ANA, BEA, CAI, FAY, OUT = (actor(h) for h in ("ana", "bea", "cai", "fay", "out"))
SEL = hid("election")


def circle(removed: tuple[str, ...] = (), node_member: bool = False) -> CircleState:
    """ana, bea, cai and fay (facilitator), all active unless ``removed``."""
    members = {
        m: CircleMember(m, "removed" if m in removed else "active", roles)
        for m, roles in ((ANA, ()), (BEA, ()), (CAI, ()), (FAY, ("facilitator",)))
    }
    if node_member:
        members[OTHER_NODE] = CircleMember(OTHER_NODE, "active")
    return CircleState(id=circle_id("c", HOME), home=HOME, name="C", aim="an aim", members=members)


C = circle()


def code_of(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    with pytest.raises(DomainError) as info:
        fn(*args, **kwargs)
    assert info.value.message
    return info.value.code


def run(state: SelectionState, *events: Event, now: dt.datetime = T0, **kw: Any) -> SelectionState:
    for ev in events:
        state = apply(state, ev, circle=kw.get("circle", C), now=now, **kw.get("extra", {}))
    return state


def opened() -> SelectionState:
    return start(Opened(SEL, FAY, "secretary", "Keeps the logbook.", 12), circle=C)


def phase(
    p: str, candidate: str | None = None, deadline: dt.datetime | None = None, by: str = FAY
) -> PhaseMoved:
    return PhaseMoved(by, p, candidate, deadline)


def nominate(who: str, nominee: str, tag: str = "") -> Nominated:
    return Nominated(hid(f"n-{who}{tag}"), who, commitment_of(nominee, salt(f"{who}{tag}")))


def reveal(who: str, nominee: str, tag: str = "", reason: str = "a reason") -> Revealed:
    return Revealed(who, hid(f"n-{who}{tag}"), nominee, salt(f"{who}{tag}"), reason)


def stance(member: str, candidate: str, value: Any = "consent", tag: str = "") -> StanceGiven:
    reason = "" if value == "consent" else "a reason tied to the aim"
    return StanceGiven(
        hid(f"s-{member}-{candidate}-{value}{tag}"), member, candidate, value, reason
    )


def nominated() -> SelectionState:
    """ana nominates bea, bea nominates cai, cai nominates cai, all sealed."""
    return run(opened(), nominate(ANA, BEA), nominate(BEA, CAI), nominate(CAI, CAI))


def revealed() -> SelectionState:
    return run(
        nominated(),
        phase("nomination_round"),
        reveal(ANA, BEA, reason="bea keeps good notes"),
        reveal(BEA, CAI, reason="cai has time"),
        reveal(CAI, CAI, reason="I would like to"),
    )


def in_round(candidate: str = BEA, deadline: dt.datetime | None = None) -> SelectionState:
    return run(revealed(), phase("change_round"), phase("consent", candidate, deadline))


def everyone(candidate: str, tag: str = "") -> list[StanceGiven]:
    return [stance(m, candidate, tag=tag) for m in (ANA, BEA, CAI, FAY)]


# --- a whole election ------------------------------------------------------------------


def test_a_whole_election() -> None:
    s = opened()
    assert (s.phase, s.opener, s.role, s.term_months) == ("nominations", FAY, "secretary", 12)
    s = run(s, nominate(ANA, BEA), nominate(BEA, CAI), nominate(CAI, CAI))
    assert len(s.nominations) == 3
    assert s.nominees() == set()  # sealed: nobody is seen before the reveals
    s = run(s, phase("nomination_round"))
    s = run(s, reveal(ANA, BEA, reason="bea keeps good notes"), reveal(BEA, CAI, reason="time"))
    s = run(s, reveal(CAI, CAI, reason="I would like to"))
    assert s.nominations[ANA].nominee == BEA
    assert s.nominations[ANA].reason == "bea keeps good notes"
    assert s.nominees() == {BEA, CAI}
    s = run(s, phase("change_round"))
    # cai changes their mind openly, hearing the reasons; no salt needs to match
    s = run(s, Revealed(CAI, hid(f"n-{CAI}"), BEA, "anything", "bea's notes convinced me"))
    assert s.nominations[CAI].nominee == BEA
    assert s.nominees() == {BEA, CAI}
    s = run(s, phase("consent", BEA))
    assert (s.phase, s.candidate, s.deadline) == ("consent", BEA, T0 + 72 * HOUR)
    objection = stance(CAI, BEA, "object")
    s = run(s, stance(ANA, BEA), stance(BEA, BEA, "concern"), objection, stance(FAY, BEA))
    assert code_of(result_body, s, C, T0, term_start=START) == "selection.objection_unresolved"
    # the facilitator proposes another candidate: a new round
    s = run(s, phase("consent", CAI), now=T0 + HOUR)
    assert s.candidate == CAI
    assert s.stances == {}
    assert s.objections_seen == (objection.id,)
    assert code_of(run, s, stance(ANA, BEA, tag="late")) == "selection.wrong_candidate"
    s = run(s, *everyone(CAI))  # cai consents to themselves
    body = result_body(s, C, T0 + 2 * HOUR, term_start=START)
    validate_body("selection", body)
    assert body == {
        "op": "result",
        "selection": SEL,
        "candidate": CAI,
        "term_start": "2026-12-01",
        "term_end": "2027-11-30",
        "stances": sorted(st.id for st in everyone(CAI)),
    }
    verify_result(s, C, body, at=T0 + 2 * HOUR)
    done = apply(s, ResultRecorded(HOME, body), circle=C, now=T0 + 2 * HOUR)
    assert (done.outcome, done.selected) == ("selected", CAI)
    assert (done.term_start, done.term_end) == (START, dt.date(2027, 11, 30))
    assert term_expiring(done, dt.date(2027, 12, 1) - 20 * DAY)
    assert not term_expiring(done, dt.date(2027, 12, 1) - 60 * DAY)
    assert term_expiring(done, dt.date(2028, 1, 1))  # over already: still time to elect
    assert not term_expiring(s, dt.date(2027, 12, 1))  # nobody selected yet


def test_re_opening_the_round_for_the_same_candidate() -> None:
    objection = stance(CAI, BEA, "object")
    s = run(in_round(), stance(ANA, BEA), objection)
    s = run(s, phase("consent", BEA))  # after integrating the objection
    assert s.candidate == BEA
    assert s.stances == {}
    assert s.objections_seen == (objection.id,)
    s = run(s, *everyone(BEA, tag="2"))
    body = result_body(s, C, T0, term_start=START)
    assert objection.id not in body["stances"]
    assert run(s, ResultRecorded(FAY, body)).selected == BEA


def test_events_are_built_from_validated_bodies() -> None:
    b = validate_body(
        "selection", {"op": "open", "role": "facilitator", "description": "d", "term_months": 6}
    )
    assert Opened.from_body(SEL, FAY, b) == Opened(SEL, FAY, "facilitator", "d", 6)
    commitment = commitment_of(BEA, salt("x"))
    assert commitment == sha256_id(encode({"nominee": BEA, "salt": salt("x")}))
    b = validate_body("selection", {"op": "nominate", "selection": SEL, "commitment": commitment})
    assert Nominated.from_body(hid("n"), ANA, b) == Nominated(hid("n"), ANA, commitment)
    b = validate_body(
        "selection",
        {
            "op": "reveal",
            "selection": SEL,
            "nomination": hid("n"),
            "nominee": BEA,
            "salt": salt("x"),
            "reason": "r",
        },
    )
    assert Revealed.from_body(ANA, b) == Revealed(ANA, hid("n"), BEA, salt("x"), "r")
    b = validate_body(
        "selection",
        {
            "op": "phase",
            "selection": SEL,
            "phase": "consent",
            "candidate": BEA,
            "deadline": "2026-11-23T10:00:00Z",
        },
    )
    assert PhaseMoved.from_body(FAY, b) == PhaseMoved(FAY, "consent", BEA, T0 + 24 * HOUR)
    b = validate_body(
        "selection",
        {"op": "stance", "selection": SEL, "candidate": BEA, "stance": "object", "reason": "r"},
    )
    assert StanceGiven.from_body(hid("s"), CAI, b) == StanceGiven(hid("s"), CAI, BEA, "object", "r")
    s = run(in_round(), *everyone(BEA))
    body = result_body(s, C, T0, term_start=START)
    typed = validate_body("selection", body)
    assert ResultRecorded.from_body(HOME, typed) == ResultRecorded(HOME, body)
    assert ResultRecorded.from_body(HOME, body) == ResultRecorded(HOME, body)
    # A role of the circle's own opens once its charter declares it (§8.2).
    assert code_of(start, Opened(SEL, FAY, "treasurer", "d", 1), circle=C) == (
        "circle.unknown_role"
    )
    declared = dataclasses.replace(C, seats=register([{"name": "treasurer"}]))
    custom = start(Opened(SEL, FAY, "treasurer", "d", 1), circle=declared)
    assert custom.role == "treasurer"


def test_terms_are_calendar_months() -> None:
    assert add_months(dt.date(2027, 1, 31), 1) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2028, 1, 31), 1) == dt.date(2028, 2, 29)
    assert add_months(dt.date(2026, 12, 1), 12) == dt.date(2027, 12, 1)
    assert add_months(dt.date(2026, 8, 31), 18) == dt.date(2028, 2, 29)
    assert add_months(dt.date(2026, 3, 15), 120) == dt.date(2036, 3, 15)
    s = run(in_round(), *everyone(BEA))
    body = result_body(s, C, T0, term_start=dt.date(2027, 1, 31))
    assert body["term_end"] == "2028-01-30"


def test_nominations_and_stances_may_be_replaced() -> None:
    s = run(opened(), nominate(ANA, BEA), nominate(ANA, CAI, tag="2"))
    assert s.nominations[ANA].id == hid(f"n-{ANA}2")
    s = run(s, phase("nomination_round"))
    assert code_of(run, s, reveal(ANA, BEA)) == "selection.bad_reveal"  # the replaced one
    assert run(s, reveal(ANA, CAI, tag="2")).nominations[ANA].nominee == CAI
    r = run(in_round(), stance(BEA, BEA, "object"), stance(BEA, BEA))
    assert r.stances[BEA].value == "consent"
    r = run(r, stance(ANA, BEA), stance(CAI, BEA), stance(FAY, BEA))
    result_body(r, C, T0, term_start=START)


def test_self_nomination() -> None:
    s = run(opened(), nominate(ANA, ANA), phase("nomination_round"), reveal(ANA, ANA))
    s = run(s, phase("change_round"), phase("consent", ANA), *everyone(ANA))
    assert run(s, ResultRecorded(HOME, result_body(s, C, T0, term_start=START))).selected == ANA


def test_the_state_round_trips_through_msgspec() -> None:
    s = run(in_round(), stance(CAI, BEA, "object"), stance(ANA, BEA), phase("consent", CAI))
    s = run(s, stance(BEA, CAI, "concern"))
    assert s.objections_seen
    assert s.stances
    assert s.deadline is not None
    for state in (opened(), s):
        data = msgspec.json.encode(state)
        assert msgspec.json.decode(data, type=SelectionState) == state
    s = run(s, stance(ANA, CAI), stance(CAI, CAI), stance(FAY, CAI))
    done = run(s, ResultRecorded(HOME, result_body(s, C, T0, term_start=START)))
    back = msgspec.json.decode(msgspec.json.encode(done), type=SelectionState)
    assert back == done
    assert back.term_end == dt.date(2027, 11, 30)


# --- every error code ------------------------------------------------------------------


def test_authority() -> None:
    assert code_of(start, Opened(SEL, ANA, "secretary", "d", 12), circle=C) == (
        "selection.not_facilitator"
    )
    s = nominated()
    assert code_of(run, s, phase("nomination_round", by=ANA)) == "selection.not_facilitator"
    assert code_of(run, s, phase("cancelled", by=HOME)) == "selection.not_facilitator"
    r = run(in_round(), *everyone(BEA))
    body = result_body(r, C, T0, term_start=START)
    assert code_of(run, r, ResultRecorded(BEA, body)) == "selection.not_facilitator"
    assert code_of(run, r, ResultRecorded(OTHER_NODE, body)) == "selection.not_facilitator"
    assert run(r, ResultRecorded(FAY, body)).outcome == "selected"


def test_not_member() -> None:
    s = opened()
    assert code_of(run, s, nominate(OUT, BEA)) == "selection.not_member"
    node = Nominated(hid("n"), OTHER_NODE, commitment_of(BEA, salt("n")))
    assert code_of(run, s, node, circle=circle(node_member=True)) == "selection.not_member"
    s = run(s, nominate(ANA, OUT), nominate(BEA, CAI), phase("nomination_round"))
    assert code_of(run, s, reveal(ANA, OUT)) == "selection.not_member"  # nominee outside
    gone = circle(removed=(BEA,))
    assert code_of(run, s, reveal(BEA, CAI), circle=gone) == "selection.not_member"
    assert code_of(run, s, reveal(BEA, CAI), circle=circle(removed=(CAI,))) == (
        "selection.not_member"
    )
    r = run(revealed(), phase("change_round"))
    assert code_of(run, r, phase("consent", BEA), circle=gone) == "selection.not_member"
    assert code_of(run, r, phase("consent", OUT)) == "selection.not_member"
    r = in_round()
    assert code_of(run, r, stance(OUT, BEA)) == "selection.not_member"
    assert code_of(run, r, stance(ANA, BEA), circle=circle(removed=(ANA,))) == (
        "selection.not_member"
    )
    node_stance = StanceGiven(hid("ns"), OTHER_NODE, BEA, "consent")
    assert code_of(run, r, node_stance, circle=circle(node_member=True)) == "selection.not_member"
    r = run(r, *everyone(BEA))
    assert code_of(result_body, r, gone, T0, term_start=START) == "selection.not_member"


def test_bad_transitions() -> None:
    s = opened()
    assert code_of(run, s, phase("nomination_round")) == "selection.bad_transition"  # nobody
    s = nominated()
    for to in ("change_round", "consent", "nominations", "selected"):
        assert code_of(run, s, phase(to, BEA if to == "consent" else None)) == (
            "selection.bad_transition"
        )
    assert code_of(run, s, phase("nomination_round", deadline=T0 - HOUR)) == (
        "selection.bad_transition"
    )
    assert code_of(run, s, phase("nomination_round", deadline=T0)) == "selection.bad_transition"
    assert code_of(run, s, phase("nomination_round", BEA)) == "selection.bad_transition"
    r = run(revealed(), phase("change_round"))
    assert code_of(run, r, phase("consent")) == "selection.bad_transition"  # no candidate
    assert code_of(run, r, phase("nomination_round")) == "selection.bad_transition"
    assert code_of(run, r, phase("consent", BEA, T0 - HOUR)) == "selection.bad_transition"
    c = in_round()
    assert code_of(run, c, phase("change_round")) == "selection.bad_transition"
    assert run(c, phase("consent", CAI, T0 + 5 * HOUR)).deadline == T0 + 5 * HOUR
    for state in (opened(), nominated(), revealed(), r, c):
        cancelled = run(state, phase("cancelled"))
        assert (cancelled.phase, cancelled.outcome) == ("cancelled", "cancelled")
        for ev in (
            phase("cancelled"),
            phase("consent", BEA),
            nominate(ANA, BEA, tag="x"),
            reveal(ANA, BEA),
            stance(ANA, BEA),
        ):
            assert code_of(run, cancelled, ev) == "selection.bad_transition"
        assert code_of(result_body, cancelled, C, T0, term_start=START) == (
            "selection.bad_transition"
        )
    done = run(c, *everyone(BEA))
    body = result_body(done, C, T0, term_start=START)
    done = run(done, ResultRecorded(HOME, body))
    late: tuple[Event, ...] = (
        ResultRecorded(HOME, body),
        stance(ANA, BEA, tag="x"),
        phase("cancelled"),
    )
    for after in late:
        assert code_of(run, done, after) == "selection.bad_transition"


def test_closed() -> None:
    s = run(nominated(), phase("nomination_round"))
    assert code_of(run, s, nominate(FAY, BEA)) == "selection.closed"
    assert code_of(run, opened(), nominate(ANA, BEA), reveal(ANA, BEA)) == "selection.closed"
    assert code_of(run, in_round(), reveal(ANA, CAI)) == "selection.closed"
    assert code_of(run, in_round(), nominate(FAY, BEA)) == "selection.closed"


def test_bad_reveal() -> None:
    s = run(nominated(), phase("nomination_round"))
    assert code_of(run, s, reveal(ANA, CAI)) == "selection.bad_reveal"  # not what was sealed
    wrong_salt = Revealed(ANA, hid(f"n-{ANA}"), BEA, salt("other"))
    assert code_of(run, s, wrong_salt) == "selection.bad_reveal"
    assert code_of(run, s, reveal(ANA, BEA, tag="unknown")) == "selection.bad_reveal"
    by_other = Revealed(BEA, hid(f"n-{ANA}"), BEA, salt(ANA))
    assert code_of(run, s, by_other) == "selection.bad_reveal"
    once = run(s, reveal(ANA, BEA))
    assert code_of(run, once, reveal(ANA, BEA)) == "selection.bad_reveal"
    # a nominator who did not reveal in the nomination round may not change in the next
    late = run(once, phase("change_round"))
    assert code_of(run, late, reveal(BEA, CAI)) == "selection.bad_reveal"
    assert run(late, Revealed(ANA, hid(f"n-{ANA}"), CAI, "x")).nominees() == {CAI}
    assert code_of(run, late, Revealed(ANA, hid(f"n-{ANA}"), OUT, "x")) == "selection.not_member"


def test_stances_outside_the_round() -> None:
    s = run(revealed(), phase("change_round"))
    assert code_of(run, s, stance(ANA, BEA)) == "selection.not_in_round"
    assert code_of(result_body, s, C, T0, term_start=START) == "selection.not_in_round"
    r = in_round(BEA, T0 + 10 * HOUR)
    assert code_of(run, r, stance(ANA, CAI)) == "selection.wrong_candidate"
    assert code_of(run, r, stance(ANA, BEA), now=T0 + 11 * HOUR) == "selection.round_closed"
    assert run(r, stance(ANA, BEA), now=T0 + 10 * HOUR).stances[ANA].value == "consent"


def test_a_candidate_must_be_a_revealed_nominee() -> None:
    s = run(nominated(), phase("nomination_round"), reveal(ANA, BEA), phase("change_round"))
    assert code_of(run, s, phase("consent", CAI)) == "selection.wrong_candidate"  # sealed only
    assert code_of(run, s, phase("consent", FAY)) == "selection.wrong_candidate"
    changed = run(s, Revealed(ANA, hid(f"n-{ANA}"), FAY, "x"))
    assert code_of(run, changed, phase("consent", BEA)) == "selection.wrong_candidate"
    assert run(changed, phase("consent", FAY)).candidate == FAY


# --- silence and forged results --------------------------------------------------------


def two_answered(rules: ConsentRules) -> SelectionState:
    s = run(revealed(), phase("change_round"))
    s = apply(s, phase("consent", BEA), circle=C, now=T0, rules=rules)
    return run(s, stance(ANA, BEA), stance(BEA, BEA, "concern"))


def test_silence_policies() -> None:
    absent = ConsentRules("absent", 24)
    s = two_answered(absent)
    assert code_of(result_body, s, C, T0 + 24 * HOUR, rules=absent, term_start=START) == (
        "selection.round_open"
    )
    later = T0 + 25 * HOUR
    body = result_body(s, C, later, rules=absent, term_start=START)
    assert len(body["stances"]) == 2
    verify_result(s, C, body, at=later, rules=absent)
    # the same result made before the deadline: members were still to answer
    assert code_of(verify_result, s, C, body, at=T0 + HOUR, rules=absent) == "selection.bad_result"
    blocking = ConsentRules("object", 24)
    s = two_answered(blocking)
    assert code_of(result_body, s, C, later, rules=blocking, term_start=START) == (
        "selection.silence_objects"
    )
    assert code_of(verify_result, s, C, body, at=later, rules=blocking) == "selection.bad_result"
    agreeing = ConsentRules("consent", 24)
    nobody = apply(
        run(revealed(), phase("change_round")),
        phase("consent", BEA),
        circle=C,
        now=T0,
        rules=agreeing,
    )
    assert code_of(result_body, nobody, C, later, rules=absent, term_start=START) == (
        "selection.no_consent"
    )
    silent = result_body(nobody, C, later, rules=agreeing, term_start=START)
    assert silent["stances"] == []
    verify_result(nobody, C, silent, at=later, rules=agreeing)
    assert code_of(verify_result, nobody, C, silent, at=later, rules=absent) == (
        "selection.bad_result"
    )


def after_objection() -> tuple[SelectionState, dict[str, Any], StanceGiven]:
    objection = stance(CAI, BEA, "object")
    s = run(in_round(), stance(ANA, BEA), objection, phase("consent", CAI), *everyone(CAI))
    return s, result_body(s, C, T0, term_start=START), objection


def test_forged_omitted_and_unresolved_objections() -> None:
    objection = stance(CAI, BEA, "object")
    s = run(in_round(), stance(ANA, BEA), stance(BEA, BEA), objection, stance(FAY, BEA))
    others = [stance(m, BEA).id for m in (ANA, BEA, FAY)]
    forged = {
        "op": "result",
        "selection": SEL,
        "candidate": BEA,
        "term_start": "2026-12-01",
        "term_end": "2027-11-30",
        "stances": others,
    }
    assert code_of(verify_result, s, C, forged, at=T0) == "selection.objection_omitted"
    included = {**forged, "stances": [*others, objection.id]}
    assert code_of(verify_result, s, C, included, at=T0) == "selection.objection_unresolved"
    assert code_of(run, s, ResultRecorded(HOME, forged)) == "selection.objection_omitted"


def test_forged_old_candidate() -> None:
    s, body, objection = after_objection()
    verify_result(s, C, body, at=T0)
    assert code_of(verify_result, s, C, {**body, "candidate": BEA}, at=T0) == (
        "selection.wrong_candidate"
    )
    old = {**body, "stances": [*body["stances"], objection.id]}
    assert code_of(verify_result, s, C, old, at=T0) == "selection.wrong_candidate"
    old_consent = {**body, "stances": [*body["stances"], stance(ANA, BEA).id]}
    assert code_of(verify_result, s, C, old_consent, at=T0) == "selection.bad_result"


def test_forged_non_member_stance() -> None:
    s, body, _ = after_objection()
    after = circle(removed=(ANA,))
    assert code_of(verify_result, s, after, body, at=T0 + 1000 * HOUR) == "selection.not_member"
    honest = result_body(s, after, T0, term_start=START)
    assert stance(ANA, CAI).id not in honest["stances"]
    verify_result(s, after, honest, at=T0)
    assert code_of(verify_result, s, circle(removed=(CAI,)), body, at=T0) == (
        "selection.not_member"
    )


def test_forged_round_rules() -> None:
    s, body, _ = after_objection()
    verify_result(s, C, {**body, "stances": list(reversed(body["stances"]))}, at=T0)
    forged_bodies: list[dict[str, Any]] = [
        {**body, "term_end": "2027-12-01"},  # a wrong term length
        {**body, "term_start": "2026-12-02"},
        {**body, "stances": [*body["stances"], hid("unknown")]},
        {**body, "stances": [*body["stances"], body["stances"][0]]},
        {**body, "selection": hid("another")},
        {**body, "term_end": "2026-11-30"},  # not after the start: no valid body
        {**body, "op": "stance"},
        {**body, "extra": 1},
        {"op": "phase", "selection": SEL, "phase": "cancelled"},
    ]
    for forged in forged_bodies:
        assert code_of(verify_result, s, C, forged, at=T0) == "selection.bad_result"
    # a counted stance left out
    fewer = {**body, "stances": body["stances"][1:]}
    assert code_of(verify_result, s, C, fewer, at=T0) == "selection.bad_result"
    done = run(s, ResultRecorded(HOME, body))
    assert code_of(verify_result, done, C, body, at=T0) == "selection.bad_result"


# --- concurrency rules -----------------------------------------------------------------


def test_a_nomination_racing_the_close() -> None:
    s = run(opened(), nominate(ANA, BEA), phase("nomination_round"))
    assert code_of(run, s, nominate(BEA, CAI)) == "selection.closed"


def test_a_new_candidate_racing_a_stance() -> None:
    r = in_round()
    moved_first = run(r, phase("consent", CAI))
    assert code_of(run, moved_first, stance(ANA, BEA)) == "selection.wrong_candidate"
    stance_first = run(r, stance(ANA, BEA, "object"), phase("consent", CAI))
    assert stance_first.stances == {}
    assert stance_first.objections_seen == (stance(ANA, BEA, "object").id,)
    # a stance on the same candidate counts in the re-opened round
    same = run(r, phase("consent", BEA), stance(ANA, BEA))
    assert same.stances[ANA].value == "consent"


def test_two_facilitator_moves_at_once() -> None:
    s = run(nominated(), phase("nomination_round"))
    assert code_of(run, s, phase("nomination_round")) == "selection.bad_transition"
    r = run(in_round(), stance(ANA, BEA), phase("consent", CAI), phase("consent", BEA))
    assert (r.candidate, r.stances) == (BEA, {})


# --- a stateful model check ------------------------------------------------------------

PHASES = ["nominations", "nomination_round", "change_round", "consent", "cancelled", "selected"]
PEOPLE = [ANA, BEA, CAI, FAY, OUT]
NEXT = {"nominations": "nomination_round", "nomination_round": "change_round"}


class SelectionMachine(RuleBasedStateMachine):
    """Random events, valid and invalid; only accepted ones change the state."""

    def __init__(self) -> None:
        super().__init__()
        self.state = opened()
        self.now = T0
        self.circle = C
        self.charter = ConsentRules()
        self.n = 0
        self.accepted = 0
        self.codes: set[str] = set()
        self.sealed: dict[str, tuple[str, str]] = {}  # nomination id: (nominee, salt)
        self.result: dict[str, Any] | None = None

    @initialize(silence=st.sampled_from(["absent", "consent", "object"]), hours=st.integers(1, 48))
    def policy(self, silence: Any, hours: int) -> None:
        self.charter = ConsentRules(silence, hours)

    def fire(self, event: Event) -> bool:
        before = msgspec.json.encode(self.state)
        try:
            new = apply(self.state, event, circle=self.circle, now=self.now, rules=self.charter)
        except DomainError as exc:
            self.codes.add(exc.code)
            assert msgspec.json.encode(self.state) == before, "a refusal changed the state"
            return False
        assert self.state.outcome is None, "a finished election accepted an event"
        self.state = new
        self.accepted += 1
        if currently_in_test_context():
            note(f"phase {new.phase}, {len(new.objections_seen)} objection(s) seen")
        return True

    @rule(who=st.sampled_from(PEOPLE), nominee=st.sampled_from(PEOPLE))
    def nominate(self, who: str, nominee: str) -> None:
        self.n += 1
        nid, secret = hid(f"n{self.n}"), salt(f"n{self.n}")
        self.sealed[nid] = (nominee, secret)
        self.fire(Nominated(nid, who, commitment_of(nominee, secret)))

    @rule(
        pick=st.integers(0, 4),
        honest=st.sampled_from([True, True, True, False]),
        other=st.sampled_from(PEOPLE),
    )
    def reveal(self, pick: int, honest: bool, other: str) -> None:
        nominations = sorted(self.state.nominations.values(), key=lambda n: n.id)
        if not nominations:
            self.fire(Revealed(ANA, hid("none"), BEA, salt("none")))
            return
        n = nominations[pick % len(nominations)]
        nominee, secret = self.sealed[n.id]
        if self.state.phase == "change_round" or not honest:
            nominee = other
        self.fire(Revealed(n.nominator if honest else FAY, n.id, nominee, secret, "r"))

    @rule(
        who=st.sampled_from(PEOPLE),
        to=st.sampled_from(PHASES),
        candidate=st.sampled_from([None, *PEOPLE]),
        hours=st.sampled_from([None, -1, 5, 30]),
    )
    def move(self, who: str, to: str, candidate: str | None, hours: int | None) -> None:
        deadline = None if hours is None else self.now + hours * HOUR
        self.fire(PhaseMoved(who, to, candidate, deadline))

    @rule(pick=st.integers(0, 4), steps=st.integers(1, 3))
    def forward(self, pick: int, steps: int) -> None:
        """The usual next moves, so random runs reach the later phases: a nomination if
        there is none, the reveals of the nomination round, then a candidate."""
        for _ in range(steps):
            s = self.state
            if s.phase == "nominations" and not s.nominations:
                self.nominate(PEOPLE[pick % 4], PEOPLE[(pick + 1) % 4])
            if s.phase == "nomination_round":
                for n in sorted(s.nominations.values(), key=lambda n: n.id):
                    nominee, secret = self.sealed[n.id]
                    self.fire(Revealed(n.nominator, n.id, nominee, secret, "r"))
            nominees = sorted(self.state.nominees())
            if self.state.phase in NEXT or not nominees:
                self.move(FAY, NEXT.get(self.state.phase, "change_round"), None, None)
            else:
                self.move(FAY, "consent", nominees[pick % len(nominees)], None)

    @rule(value=st.sampled_from(["consent", "consent", "concern", "object"]))
    def everyone_answers(self, value: Any) -> None:
        for who in PEOPLE[:4]:
            self.give(who, value if who == BEA else "consent", True)

    @rule(
        who=st.sampled_from(PEOPLE),
        value=st.sampled_from(["consent", "concern", "object"]),
        current=st.sampled_from([True, True, False]),
    )
    def give(self, who: str, value: Any, current: bool) -> None:
        self.n += 1
        candidate = self.state.candidate if current and self.state.candidate else CAI
        self.fire(StanceGiven(hid(f"s{self.n}"), who, candidate, value, "r"))

    @rule(hours=st.sampled_from([1, 12, 60]))
    def wait(self, hours: int) -> None:
        self.now += hours * HOUR

    @rule(who=st.sampled_from([HOME, FAY, BEA]), forge=st.booleans())
    def conclude(self, who: str, forge: bool) -> None:
        try:
            body = result_body(
                self.state, self.circle, self.now, rules=self.charter, term_start=START
            )
        except DomainError:
            body = {
                "op": "result",
                "selection": SEL,
                "candidate": self.state.candidate or BEA,
                "term_start": "2026-12-01",
                "term_end": "2027-11-30",
                "stances": sorted(s.id for s in self.state.stances.values()),
            }
        if forge:
            body = {**body, "stances": body["stances"][1:]}
        if self.fire(ResultRecorded(who, body)):
            self.result = body

    @rule(gone=st.sampled_from([(), (BEA,), (CAI, FAY)]))
    def membership(self, gone: tuple[str, ...]) -> None:
        self.circle = circle(removed=gone)

    @invariant()
    def refusals_have_selection_codes(self) -> None:
        assert all(code.startswith("selection.") for code in self.codes)

    @invariant()
    def stances_are_for_the_current_candidate(self) -> None:
        s = self.state
        assert all(x.candidate == s.candidate for x in s.stances.values())
        assert not s.stances or s.phase in ("consent", "selected", "cancelled")
        if s.phase == "consent":
            assert s.candidate in s.nominees()
        assert not set(s.objections_seen) & {x.id for x in s.stances.values()}

    @invariant()
    def selected_means_no_objection_stands(self) -> None:
        s = self.state
        if s.outcome != "selected":
            assert s.selected is None
            assert s.term_end is None
            return
        assert self.result is not None
        assert s.selected == s.candidate == self.result["candidate"]
        by_id = {x.id: x for x in s.stances.values()}
        for sid in self.result["stances"]:
            assert by_id[sid].value != "object"
            assert by_id[sid].candidate == s.selected
        assert s.term_start == START
        assert s.term_end == term_end_of(START, s.term_months)

    @invariant()
    def finished_elections_accept_nothing(self) -> None:
        s = self.state
        if s.outcome is None:
            return
        for ev in (
            PhaseMoved(FAY, "cancelled"),
            Nominated(hid("late"), ANA, hid("c")),
            StanceGiven(hid("late-s"), ANA, s.candidate or BEA, "consent"),
            ResultRecorded(HOME, self.result or {}),
        ):
            with pytest.raises(DomainError):
                apply(s, ev, circle=self.circle, now=self.now, rules=self.charter)

    @invariant()
    def what_result_body_makes_verify_accepts(self) -> None:
        try:
            body = result_body(
                self.state, self.circle, self.now, rules=self.charter, term_start=START
            )
        except DomainError:
            return
        validate_body("selection", body)
        verify_result(self.state, self.circle, body, at=self.now, rules=self.charter)

    @invariant()
    def the_state_round_trips(self) -> None:
        data = msgspec.json.encode(self.state)
        assert msgspec.json.decode(data, type=SelectionState) == self.state


SelectionMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=40, deadline=None
)
test_selection_machine = SelectionMachine.TestCase


def test_the_machine_reaches_a_selection() -> None:
    """A guided walk so the model check's rules are known to reach a selection."""
    m = SelectionMachine()
    m.policy("absent", 24)
    m.nominate(ANA, BEA)
    m.forward(0, 1)
    m.reveal(0, True, CAI)
    m.forward(0, 2)
    assert m.state.candidate == BEA
    m.everyone_answers("consent")
    m.conclude(HOME, False)
    assert m.state.outcome == "selected"
    assert m.accepted == 10
    m.finished_elections_accept_nothing()
    m.selected_means_no_objection_stands()
