"""The consent process as a pure state machine: a whole process, every error code, the
silence policies, forged decisions, the concurrency rules, and a stateful model check."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import event as note
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

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
from protocol import circle_id, validate_body
from protocol.schemas import CircleBody, PhaseBody, ProposalBody, StanceBody

HOME = "ed25519:0EqyMnQrtKs6E2i9RhXk5tAiSrcaAWuvhSCjMsl3hzc"
OTHER_NODE = "ed25519:" + base64.urlsafe_b64encode(b"\x01" * 32).decode().rstrip("=")
T0 = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def actor(handle: str) -> str:
    return f"{handle}@{HOME}"


def hid(label: str) -> str:
    digest = hashlib.sha256(label.encode()).digest()
    return "sha256:" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


ANA, BEA, CAI, FAY, OUT = (actor(h) for h in ("ana", "bea", "cai", "fay", "out"))
ROOT = hid("v1")


def circle(removed: tuple[str, ...] = (), node_member: bool = False) -> CircleState:
    """ana (proposer), bea, cai and fay (facilitator), all active unless ``removed``."""
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


def run(state: ProposalState, *events: Event, now: dt.datetime = T0, **kw: Any) -> ProposalState:
    for ev in events:
        state = apply(state, ev, circle=kw.get("circle", C), now=now, **kw.get("extra", {}))
    return state


def phase(p: str, deadline: dt.datetime | None = None, by: str = FAY) -> PhaseChanged:
    return PhaseChanged(by, p, deadline)


def stance(member: str, value: Any = "consent", version: str = ROOT, tag: str = "") -> StanceGiven:
    reason = "" if value == "consent" else "a reason tied to the aim"
    return StanceGiven(hid(f"s-{member}-{version}-{value}{tag}"), member, version, value, reason)


def proposed() -> ProposalState:
    body = validate_body("proposal", {"title": "Buy a van", "text": "For the food bank."})
    return start(Proposed.from_body(ROOT, ANA, body), circle=C)


def in_round(deadline: dt.datetime | None = None) -> ProposalState:
    return run(
        proposed(),
        phase("presented"),
        phase("questions"),
        phase("reactions"),
        phase("consent", deadline),
    )


def amend(
    state: ProposalState, by: str = ANA, version: int | None = None, root: str = ROOT
) -> Amended:
    n = state.version + 1 if version is None else version
    body = ProposalBody(
        title="Buy a van",
        text="For the food bank, insured.",
        root=root,
        version=n,
        changes="insurance added",
        review_date=dt.date(2027, 6, 1),
        measures=["km driven"],
    )
    return Amended.from_body(hid(f"v{n}"), by, body)


# --- a whole process -------------------------------------------------------------------


def test_a_whole_process_from_draft_to_adoption() -> None:
    s = in_round()
    assert s.phase == "consent"
    assert s.deadline == T0 + 72 * HOUR
    objection = stance(CAI, "object")
    s = run(s, stance(ANA), stance(BEA, "concern"), objection, stance(FAY))
    assert code_of(decide, s, C, T0) == "consent.objection_unresolved"
    s = run(s, phase("integrating"))
    s = run(s, amend(s))
    assert s.version == 2
    assert s.stances == {}
    assert not s.open_objections()
    v2 = s.version_id
    s = run(s, phase("consent"))
    # a stance on version 1 arriving now does not count for version 2
    assert code_of(run, s, stance(BEA, version=ROOT, tag="late")) == "consent.wrong_version"
    s = run(s, *(stance(m, version=v2) for m in (ANA, BEA, CAI)))
    assert code_of(decide, s, C, T0) == "consent.round_open"
    s = run(s, stance(FAY, "concern", version=v2))
    body = decide(s, C, T0 + HOUR)
    validate_body("decision", body)
    assert body["proposal"] == v2
    assert body["silent"] == []
    assert set(body["stances"]) == {st.id for st in s.stances.values()}
    assert body["resolutions"] == [
        {"objection": objection.id, "how": "insurance added", "version": v2}
    ]
    assert body["review_date"] == "2027-06-01"
    assert body["measures"] == ["km driven"]
    verify_decision(s, C, body, at=T0 + HOUR)
    done = apply(s, Decided(HOME, body), circle=C, now=T0 + HOUR)
    assert done.phase == done.outcome == "adopted"
    assert [v.number for v in done.history] == [1, 2]
    assert objection.id in done.history[0].stances


def test_events_are_built_from_validated_bodies() -> None:
    pb = validate_body(
        "phase", {"proposal": ROOT, "phase": "consent", "deadline": "2026-11-23T10:00:00Z"}
    )
    assert isinstance(pb, PhaseBody)
    assert PhaseChanged.from_body(FAY, pb) == PhaseChanged(FAY, "consent", T0 + 24 * HOUR)
    sb = validate_body("stance", {"proposal": ROOT, "stance": "object", "reason": "cost"})
    assert isinstance(sb, StanceBody)
    assert StanceGiven.from_body(hid("s"), BEA, sb) == StanceGiven(
        hid("s"), BEA, ROOT, "object", "cost"
    )
    cb = validate_body("circle", {"name": "C", "aim": "a", "silence": "object", "round_hours": 5})
    assert isinstance(cb, CircleBody)
    assert ConsentRules.from_body(cb) == ConsentRules("object", 5)
    s = run(proposed(), phase("presented"), phase("questions"), phase("reactions"))
    s = apply(s, phase("consent"), circle=C, now=T0, rules=ConsentRules.from_body(cb))
    assert s.deadline == T0 + 5 * HOUR


def test_withdrawn_and_referred_are_recorded_by_a_matching_decision() -> None:
    for outcome in ("withdrawn", "referred"):
        s = run(in_round(), phase(outcome))
        assert code_of(run, s, Decided(HOME, {"proposal": ROOT, "outcome": "adopted"})) == (
            "consent.bad_decision"
        )
        body = decide(s, C, T0)
        assert body == {"proposal": ROOT, "outcome": outcome}
        done = run(s, Decided(FAY, body))
        assert done.outcome == outcome
        assert code_of(run, done, Decided(FAY, body)) == "consent.bad_transition"
    with_stances = {"proposal": ROOT, "outcome": "withdrawn", "stances": [hid("x")]}
    s = run(in_round(), phase("withdrawn"))
    assert code_of(verify_decision, s, C, with_stances, at=T0) == "consent.bad_decision"


def test_members_may_change_their_stance_while_the_round_is_open() -> None:
    s = run(in_round(), stance(BEA, "object"))
    assert len(s.open_objections()) == 1
    s = run(s, stance(BEA, "consent"))
    assert s.open_objections() == []
    assert s.stances[BEA].value == "consent"


# --- every error code ------------------------------------------------------------------


def test_bad_transitions() -> None:
    s = proposed()
    assert code_of(run, s, phase("questions")) == "consent.bad_transition"
    assert code_of(run, s, phase("presented", T0 - HOUR)) == "consent.bad_transition"
    s = in_round()
    assert code_of(run, s, phase("integrating")) == "consent.bad_transition"  # no objection
    assert code_of(run, s, phase("consent")) == "consent.bad_deadline"  # extend: a deadline
    assert code_of(run, s, amend(s)) == "consent.bad_transition"  # not during the round
    assert code_of(run, s, phase("adopted")) == "consent.bad_transition"
    assert code_of(
        decide,
        run(s, phase("withdrawn"), Decided(HOME, {"proposal": ROOT, "outcome": "withdrawn"})),
        C,
        T0,
    ) == ("consent.bad_transition")


def test_authority() -> None:
    s = proposed()
    assert code_of(run, s, phase("presented", by=ANA)) == "consent.not_facilitator"
    assert code_of(run, s, amend(s, by=BEA)) == "consent.not_proposer"
    assert run(s, amend(s, by=FAY)).version == 2
    assert code_of(run, s, amend(s), circle=circle(removed=(ANA,))) == "consent.not_proposer"
    assert code_of(start, Proposed(ROOT, OUT, "t"), circle=C) == "consent.not_member"
    r = in_round()
    assert code_of(run, r, stance(OUT)) == "consent.not_member"
    assert code_of(run, r, stance(BEA), circle=circle(removed=(BEA,))) == "consent.not_member"
    node = StanceGiven(hid("n"), OTHER_NODE, ROOT, "consent")
    assert code_of(run, r, node, circle=circle(node_member=True)) == "consent.not_member"
    r = run(r, *(stance(m) for m in (ANA, BEA, CAI, FAY)))
    body = decide(r, C, T0)
    assert code_of(run, r, Decided(BEA, body)) == "consent.not_facilitator"
    assert run(r, Decided(FAY, body)).outcome == "adopted"


def test_wrong_versions() -> None:
    s = proposed()
    assert code_of(run, s, amend(s, version=3)) == "consent.wrong_version"
    assert code_of(run, s, amend(s, root=hid("other"))) == "consent.wrong_version"
    assert code_of(run, in_round(), stance(BEA, version=hid("nope"))) == "consent.wrong_version"


def test_stances_outside_the_round() -> None:
    s = run(proposed(), phase("presented"))
    assert code_of(run, s, stance(BEA)) == "consent.not_in_round"
    assert code_of(decide, s, C, T0) == "consent.not_in_round"
    r = run(in_round(), stance(CAI, "object"))
    assert code_of(run, r, stance(BEA), now=T0 + 73 * HOUR) == "consent.round_closed"
    closed = run(r, phase("integrating"))
    assert code_of(run, closed, stance(BEA)) == "consent.round_closed"
    amended = run(closed, amend(closed))
    assert code_of(run, amended, stance(BEA, version=amended.version_id)) == "consent.not_in_round"
    assert code_of(run, amended, phase("referred"), stance(BEA, version=amended.version_id)) == (
        "consent.not_in_round"
    )
    assert code_of(run, closed, phase("consent")) == "consent.objection_unresolved"


def test_a_decision_that_is_not_a_decision_body() -> None:
    r = in_round()
    for body in ({"proposal": ROOT}, {"proposal": ROOT, "outcome": "adopted", "x": 1}):
        assert code_of(verify_decision, r, C, body, at=T0) == "consent.bad_decision"


# --- silence past the deadline ---------------------------------------------------------


def two_answered(rules: ConsentRules) -> ProposalState:
    s = run(proposed(), phase("presented"), phase("questions"), phase("reactions"))
    s = apply(s, phase("consent"), circle=C, now=T0, rules=rules)
    return run(s, stance(ANA), stance(BEA, "concern"))


def test_silence_absent_lists_the_silent_and_does_not_block() -> None:
    rules = ConsentRules("absent", 24)
    s = two_answered(rules)
    assert code_of(decide, s, C, T0 + 24 * HOUR, rules=rules) == "consent.round_open"
    body = decide(s, C, T0 + 25 * HOUR, rules=rules)
    assert body["silent"] == sorted([CAI, FAY])
    assert len(body["stances"]) == 2
    verify_decision(s, C, body, at=T0 + 25 * HOUR, rules=rules)
    # the same decision made before the deadline breaks the round's rule
    assert code_of(verify_decision, s, C, body, at=T0 + HOUR, rules=rules) == "consent.bad_decision"
    only_silence = apply(in_round(), phase("withdrawn"), circle=C, now=T0)
    assert only_silence.phase == "withdrawn"
    nobody = run(
        proposed(), phase("presented"), phase("questions"), phase("reactions"), phase("consent")
    )
    assert code_of(decide, nobody, C, T0 + 100 * HOUR, rules=rules) == "consent.no_consent"


def test_silence_consent_counts_the_silent_as_consent() -> None:
    rules = ConsentRules("consent", 24)
    body = decide(two_answered(rules), C, T0 + 25 * HOUR, rules=rules)
    assert body["silent"] == sorted([CAI, FAY])
    verify_decision(two_answered(rules), C, body, at=T0 + 25 * HOUR, rules=rules)
    nobody = run(
        proposed(), phase("presented"), phase("questions"), phase("reactions"), phase("consent")
    )
    everyone_silent = decide(nobody, C, T0 + 100 * HOUR, rules=rules)
    assert everyone_silent["stances"] == []
    assert len(everyone_silent["silent"]) == 4
    absent = ConsentRules("absent")
    assert code_of(
        verify_decision, nobody, C, everyone_silent, at=T0 + 100 * HOUR, rules=absent
    ) == ("consent.bad_decision")


def test_silence_object_blocks_adoption() -> None:
    rules = ConsentRules("object", 24)
    s = two_answered(rules)
    assert code_of(decide, s, C, T0 + 25 * HOUR, rules=rules) == "consent.silence_objects"
    forged = decide(s, C, T0 + 25 * HOUR)  # as if the circle's policy were "absent"
    assert code_of(verify_decision, s, C, forged, at=T0 + 25 * HOUR, rules=rules) == (
        "consent.bad_decision"
    )
    s = run(s, stance(CAI), stance(FAY))
    verify_decision(s, C, decide(s, C, T0 + 25 * HOUR, rules=rules), at=T0 + 25 * HOUR, rules=rules)


# --- forged decisions ------------------------------------------------------------------


def adopted_after_objection() -> tuple[ProposalState, dict[str, Any], StanceGiven]:
    objection = stance(CAI, "object")
    s = run(in_round(), stance(ANA), stance(BEA), objection, stance(FAY), phase("integrating"))
    s = run(s, amend(s), phase("consent"))
    s = run(s, *(stance(m, version=s.version_id) for m in (ANA, BEA, CAI, FAY)))
    return s, decide(s, C, T0), objection


def test_forged_omitted_objections() -> None:
    s = run(in_round(), stance(ANA), stance(BEA), stance(CAI, "object"), stance(FAY))
    forged = {
        "proposal": ROOT,
        "outcome": "adopted",
        "stances": [stance(ANA).id, stance(BEA).id, stance(FAY).id],
    }
    assert code_of(verify_decision, s, C, forged, at=T0) == "consent.objection_omitted"
    included = {**forged, "stances": [*forged["stances"], stance(CAI, "object").id]}
    assert code_of(verify_decision, s, C, included, at=T0) == "consent.objection_unresolved"
    s, body, _ = adopted_after_objection()
    assert (
        code_of(verify_decision, s, C, {**body, "resolutions": []}, at=T0)
        == "consent.objection_omitted"
    )
    reworded = [{**body["resolutions"][0], "how": "we ignored it"}]
    assert (
        code_of(verify_decision, s, C, {**body, "resolutions": reworded}, at=T0)
        == "consent.bad_decision"
    )


def test_forged_non_member_stance() -> None:
    s = run(in_round(), *(stance(m) for m in (ANA, BEA, CAI, FAY)))
    body = decide(s, C, T0)
    after = circle(removed=(CAI,))
    assert code_of(verify_decision, s, after, body, at=T0) == "consent.not_member"
    honest = decide(s, after, T0)
    assert stance(CAI).id not in honest["stances"]
    verify_decision(s, after, honest, at=T0)
    silent_outsider = {**honest, "silent": [OUT]}
    assert (
        code_of(verify_decision, s, after, silent_outsider, at=T0 + 100 * HOUR)
        == "consent.not_member"
    )


def test_forged_old_version() -> None:
    s, body, objection = adopted_after_objection()
    assert (
        code_of(verify_decision, s, C, {**body, "proposal": ROOT}, at=T0) == "consent.wrong_version"
    )
    old = stance(ANA).id
    assert code_of(verify_decision, s, C, {**body, "stances": [*body["stances"], old]}, at=T0) == (
        "consent.wrong_version"
    )
    assert objection.id not in body["stances"]


def test_forged_round_rules() -> None:
    s, body, _ = adopted_after_objection()
    verify_decision(s, C, body, at=T0)
    for forged in (
        {**body, "stances": [*body["stances"], hid("unknown")]},
        {**body, "stances": body["stances"][1:]},
        {**body, "stances": body["stances"][1:], "silent": [ANA]},
        {**body, "measures": ["none"]},
        {**body, "review_date": None},
    ):
        assert code_of(verify_decision, s, C, forged, at=T0 + 1000 * HOUR) == "consent.bad_decision"
    integrating = replace(s, phase="integrating")
    assert code_of(verify_decision, integrating, C, body, at=T0) == "consent.bad_decision"
    done = run(s, Decided(HOME, body))
    assert code_of(verify_decision, done, C, body, at=T0) == "consent.bad_decision"


# --- concurrency rules -----------------------------------------------------------------


def test_two_facilitator_transitions_at_once() -> None:
    s = run(in_round(), stance(CAI, "object"))
    first = run(s, phase("integrating"))
    assert code_of(run, first, phase("integrating")) == "consent.bad_transition"
    assert run(first, phase("withdrawn")).phase == "withdrawn"


def test_an_amendment_racing_a_stance() -> None:
    s = run(in_round(), stance(CAI, "object"), phase("integrating"))
    bea_first = run(s, amend(s))
    assert code_of(run, bea_first, stance(BEA)) == "consent.wrong_version"
    r = in_round()
    kept = run(r, stance(BEA), stance(CAI, "object"), phase("integrating"))
    kept = run(kept, amend(kept))
    assert stance(BEA).id in kept.history[0].stances
    assert BEA not in kept.stances


def test_an_offline_member_catching_up() -> None:
    s = run(in_round(T0 + 10 * HOUR), stance(ANA), stance(BEA), stance(FAY))
    # cai's node was offline; its stance signed during the round arrives after the close
    assert code_of(run, s, stance(CAI), now=T0 + 11 * HOUR) == "consent.round_closed"
    assert run(s, stance(CAI), now=T0 + 10 * HOUR).stances[CAI].value == "consent"


# --- a stateful model check ------------------------------------------------------------

PHASES = [
    "presented",
    "questions",
    "reactions",
    "consent",
    "integrating",
    "withdrawn",
    "referred",
    "adopted",
]
PEOPLE = [ANA, BEA, CAI, FAY, OUT]
NEXT = {
    "draft": "presented",
    "presented": "questions",
    "questions": "reactions",
    "reactions": "consent",
    "consent": "integrating",
}


class ConsentMachine(RuleBasedStateMachine):
    """Random events, valid and invalid; only accepted ones change the state."""

    def __init__(self) -> None:
        super().__init__()
        self.state = proposed()
        self.now = T0
        self.circle = C
        self.rules = ConsentRules()
        self.n = 0
        self.accepted = 0
        self.codes: set[str] = set()

    @initialize(silence=st.sampled_from(["absent", "consent", "object"]), hours=st.integers(1, 48))
    def policy(self, silence: Any, hours: int) -> None:
        self.rules = ConsentRules(silence, hours)

    def fire(self, event: Event) -> None:
        try:
            new = apply(self.state, event, circle=self.circle, now=self.now, rules=self.rules)
        except DomainError as exc:
            self.codes.add(exc.code)
            return
        assert self.state.outcome is None, "a terminal state accepted an event"
        self.state = new
        self.accepted += 1
        if currently_in_test_context():
            note(f"phase {new.phase}, version {min(new.version, 3)}")

    @rule(
        who=st.sampled_from(PEOPLE),
        to=st.sampled_from(PHASES),
        hours=st.sampled_from([None, -1, 5, 30]),
    )
    def move(self, who: str, to: str, hours: int | None) -> None:
        self.fire(PhaseChanged(who, to, None if hours is None else self.now + hours * HOUR))

    @rule(steps=st.integers(1, 4))
    def forward(self, steps: int) -> None:
        """The facilitator's usual next moves, so random runs reach the later phases."""
        for _ in range(steps):
            self.move(FAY, NEXT.get(self.state.phase, "consent"), None)

    @rule(value=st.sampled_from(["consent", "consent", "concern", "object"]))
    def everyone_answers(self, value: Any) -> None:
        for who in PEOPLE[:4]:
            self.give(who, value if who == BEA else "consent", 0)

    @rule(who=st.sampled_from(PEOPLE), step=st.sampled_from([0, 1, 1, 2]), right_root=st.booleans())
    def amend(self, who: str, step: int, right_root: bool) -> None:
        self.n += 1
        root = ROOT if right_root else hid("other")
        self.fire(Amended(hid(f"a{self.n}"), who, root, self.state.version + step, "t", "changed"))

    @rule(
        who=st.sampled_from(PEOPLE),
        value=st.sampled_from(["consent", "concern", "object"]),
        old=st.integers(0, 3),
    )
    def give(self, who: str, value: Any, old: int) -> None:
        self.n += 1
        ids = [v.id for v in self.state.history]
        version = ids[max(0, len(ids) - 1 - old)]
        self.fire(StanceGiven(hid(f"s{self.n}"), who, version, value, "r"))

    @rule(hours=st.sampled_from([1, 12, 60]))
    def wait(self, hours: int) -> None:
        self.now += hours * HOUR

    @rule(who=st.sampled_from([HOME, FAY, BEA]))
    def conclude(self, who: str) -> None:
        try:
            body = decide(self.state, self.circle, self.now, rules=self.rules)
        except DomainError:
            body = {"proposal": self.state.version_id, "outcome": "adopted"}
        self.fire(Decided(who, body))

    @rule(gone=st.sampled_from([(), (BEA,), (CAI, FAY)]))
    def membership(self, gone: tuple[str, ...]) -> None:
        self.circle = circle(removed=gone)

    @invariant()
    def refusals_have_consent_codes(self) -> None:
        assert all(code.startswith("consent.") for code in self.codes)

    @invariant()
    def stances_are_for_the_current_version(self) -> None:
        assert all(s.version == self.state.version_id for s in self.state.stances.values())
        assert self.state.history[-1].id == self.state.version_id

    @invariant()
    def adopted_means_no_objection_stands(self) -> None:
        if self.state.outcome == "adopted":
            assert not self.state.open_objections()
            assert all(s.value != "object" for s in self.state.stances.values())

    @invariant()
    def terminal_states_accept_nothing(self) -> None:
        if self.state.outcome is None:
            return
        s = self.state
        for ev in (
            PhaseChanged(FAY, "consent"),
            Amended(hid("late"), ANA, ROOT, s.version + 1, "t"),
            StanceGiven(hid("late-s"), ANA, s.version_id, "consent"),
            Decided(HOME, {"proposal": s.version_id, "outcome": s.outcome}),
        ):
            with pytest.raises(DomainError):
                apply(s, ev, circle=self.circle, now=self.now, rules=self.rules)

    @invariant()
    def what_decide_makes_verify_accepts(self) -> None:
        try:
            body = decide(self.state, self.circle, self.now, rules=self.rules)
        except DomainError:
            return
        validate_body("decision", body)
        verify_decision(self.state, self.circle, body, at=self.now, rules=self.rules)


ConsentMachine.TestCase.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
test_consent_machine = ConsentMachine.TestCase


def test_the_machine_reaches_adoption() -> None:
    """A guided walk so the model check's rules are known to reach every outcome."""
    m = ConsentMachine()
    m.policy("absent", 24)
    for to in ("presented", "questions", "reactions", "consent"):
        m.move(FAY, to, None)
    for who in (ANA, BEA, CAI, FAY):
        m.give(who, "consent", 0)
    m.conclude(HOME)
    assert m.state.outcome == "adopted"
    assert m.accepted == 9
    m.terminal_states_accept_nothing()
