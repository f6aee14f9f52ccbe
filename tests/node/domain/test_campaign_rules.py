"""The rules of campaign objects at their position (PROTOCOL.md §8.13): every code, the
order they are checked in, and that the ids ``named_ids`` gives are all ``check`` reads."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.domain import DomainError
from node.domain.campaigns.records import CampaignState, identity, object_type
from node.domain.campaigns.rules import CampaignRefusal, check, named_ids
from protocol import sha256_id, validate_body
from protocol.campaigns import CampaignBody
from protocol.errors import ErrorCode

E = ErrorCode


def eid(name: str) -> str:
    return sha256_id(name.encode())


def body(obj: str, **fields: Any) -> CampaignBody:
    typed: CampaignBody = validate_body("campaign", {"object": obj, **fields})
    return typed


CAMPAIGN, OTHER = eid("campaign"), eid("other campaign")
MAYOR, DA, CANDIDATE, ELSEWHERE = eid("mayor"), eid("da"), eid("candidate"), eid("elsewhere")
CAMERAS, BAIL, BAIL_OF_DA, OTHER_DEMAND = eid("cameras"), eid("bail"), eid("bail da"), eid("od")
CALL_DAY, OTHER_PLAN = eid("call day"), eid("other plan")
ARTICLE = eid("article")
DAY = "2026-12-01"
EVIDENCE: dict[str, Any] = {}


def target(campaign: str, office_type: str, **more: Any) -> CampaignBody:
    return body(
        "target", campaign=campaign, name="N", office_type=office_type, jurisdiction="J", **more
    )


def demand(campaign: str, **asked_of: Any) -> CampaignBody:
    return body("demand", campaign=campaign, title="T", text="X", **asked_of)


def plan(campaign: str, **more: Any) -> CampaignBody:
    return body("plan", campaign=campaign, title="T", channel="call", weekday=1, starts=DAY, **more)


CANDIDACY = {"election_date": "2027-11-02", "office": "District Attorney"}
STORY: list[tuple[str, CampaignBody]] = [
    (CAMPAIGN, body("campaign", name="Policing", goal="Cameras")),
    (OTHER, body("campaign", name="Housing", goal="Rents")),
    (MAYOR, target(CAMPAIGN, "mayor")),
    (DA, target(CAMPAIGN, "district_attorney")),
    (CANDIDATE, target(CAMPAIGN, "district_attorney", candidacy=CANDIDACY)),
    (ELSEWHERE, target(OTHER, "mayor")),
    (CAMERAS, demand(CAMPAIGN, office_type="mayor")),
    (BAIL, demand(CAMPAIGN, office_type="district_attorney")),
    (BAIL_OF_DA, demand(CAMPAIGN, target=DA)),
    (OTHER_DEMAND, demand(OTHER, office_type="mayor")),
    (CALL_DAY, plan(CAMPAIGN, targets=[MAYOR], demand=CAMERAS)),
    (OTHER_PLAN, plan(OTHER)),
    (ARTICLE, body("article", title="How to fight", slug="how-to-fight", body="Act.")),
]


def fold(events: list[tuple[str, CampaignBody]]) -> CampaignState:
    state = CampaignState()
    for envelope_id, b in events:
        check(state, b, actor_is_member=True)
        state = state.with_body(envelope_id, b)
    return state


STATE = fold(STORY)


def status(target_id: str, demand_id: str, campaign: str = CAMPAIGN, **more: Any) -> CampaignBody:
    return body(
        "status",
        campaign=campaign,
        demand=demand_id,
        target=target_id,
        status="asked",
        date=DAY,
        evidence=EVIDENCE,
        **more,
    )


def answer(target_id: str, demand_id: str) -> CampaignBody:
    return body(
        "answer",
        campaign=CAMPAIGN,
        target=target_id,
        demand=demand_id,
        answer="pledged",
        evidence=EVIDENCE,
    )


def action(**more: Any) -> CampaignBody:
    fields: dict[str, Any] = {"campaign": CAMPAIGN, "target": MAYOR, "channel": "call", "date": DAY}
    return body("action", **(fields | more))


def refusal(b: CampaignBody, state: CampaignState = STATE, member: bool = True) -> str:
    with pytest.raises(CampaignRefusal) as info:
        check(state, b, actor_is_member=member)
    return info.value.code


ALLOWED = [
    status(MAYOR, CAMERAS),
    status(DA, BAIL),
    status(CANDIDATE, BAIL),
    status(DA, BAIL_OF_DA),
    answer(CANDIDATE, BAIL),
    action(),
    action(demand=CAMERAS, plan=CALL_DAY),
    action(target=DA, demand=BAIL_OF_DA),
    body("commitment", campaign=CAMPAIGN, target=DA, demand=BAIL, what="W", made=DAY),
    body("pledge", campaign=CAMPAIGN, plan=CALL_DAY, date="2026-12-08"),
    plan(CAMPAIGN),
    demand(CAMPAIGN, target=CANDIDATE),
    target(CAMPAIGN, "sheriff", ref=MAYOR),
    body("campaign", name="Policing", goal="Cameras and more", ref=CAMPAIGN),
    demand(CAMPAIGN, office_type="sheriff", ref=CAMERAS),
    body("campaign", name="A new campaign", goal="G"),
    body("campaign", name="Policing", goal="Cameras", public=True, ref=CAMPAIGN),
    body("article", title="T", slug="t", body="B"),
    body("article", title="T", slug="t", body="B", withdrawn=True, ref=ARTICLE),
]


@pytest.mark.parametrize("b", ALLOWED, ids=[object_type(b) for b in ALLOWED])
def test_what_the_rules_allow(b: CampaignBody) -> None:
    check(STATE, b, actor_is_member=True)


@pytest.mark.parametrize("b", ALLOWED, ids=[object_type(b) for b in ALLOWED])
def test_only_active_members_write_campaigns(b: CampaignBody) -> None:
    assert refusal(b, member=False) == E.CAMPAIGN_NOT_MEMBER


@pytest.mark.parametrize(
    ("b", "code"),
    [
        # campaign: unknown, another object's id, another circle's
        (status(MAYOR, CAMERAS, campaign=eid("nowhere")), E.CAMPAIGN_UNKNOWN_CAMPAIGN),
        (target(MAYOR, "mayor"), E.CAMPAIGN_UNKNOWN_CAMPAIGN),
        # ref: names nothing, another type, another campaign, a later version
        (target(CAMPAIGN, "mayor", ref=eid("nothing")), E.CAMPAIGN_BAD_REF),
        (target(CAMPAIGN, "mayor", ref=CAMERAS), E.CAMPAIGN_BAD_REF),
        (target(CAMPAIGN, "mayor", ref=ELSEWHERE), E.CAMPAIGN_BAD_REF),
        (demand(OTHER, office_type="mayor", ref=CAMERAS), E.CAMPAIGN_BAD_REF),
        (body("campaign", name="N", goal="G", ref=MAYOR), E.CAMPAIGN_BAD_REF),
        (body("campaign", name="N", goal="G", ref=eid("nothing")), E.CAMPAIGN_BAD_REF),
        (body("campaign", name="N", goal="G", ref=ARTICLE), E.CAMPAIGN_BAD_REF),
        (body("article", title="T", slug="t", body="B", ref=CAMPAIGN), E.CAMPAIGN_BAD_REF),
        (body("article", title="T", slug="t", body="B", ref=eid("nothing")), E.CAMPAIGN_BAD_REF),
        # targets
        (status(ELSEWHERE, CAMERAS), E.CAMPAIGN_UNKNOWN_TARGET),
        (status(CAMERAS, CAMERAS), E.CAMPAIGN_UNKNOWN_TARGET),
        (demand(CAMPAIGN, target=ELSEWHERE), E.CAMPAIGN_UNKNOWN_TARGET),
        (plan(CAMPAIGN, targets=[MAYOR, ELSEWHERE]), E.CAMPAIGN_UNKNOWN_TARGET),
        (action(target=eid("nobody")), E.CAMPAIGN_UNKNOWN_TARGET),
        # demands
        (status(MAYOR, OTHER_DEMAND), E.CAMPAIGN_UNKNOWN_DEMAND),
        (action(demand=MAYOR), E.CAMPAIGN_UNKNOWN_DEMAND),
        (plan(CAMPAIGN, demand=OTHER_DEMAND), E.CAMPAIGN_UNKNOWN_DEMAND),
        (
            body(
                "commitment",
                campaign=CAMPAIGN,
                target=MAYOR,
                demand=OTHER_DEMAND,
                what="W",
                made=DAY,
            ),
            E.CAMPAIGN_UNKNOWN_DEMAND,
        ),
        # plans
        (action(plan=OTHER_PLAN), E.CAMPAIGN_UNKNOWN_PLAN),
        (body("pledge", campaign=CAMPAIGN, plan=CAMERAS, date=DAY), E.CAMPAIGN_UNKNOWN_PLAN),
        # asked of
        (status(MAYOR, BAIL), E.CAMPAIGN_NOT_ASKED_OF),
        (status(CANDIDATE, BAIL_OF_DA), E.CAMPAIGN_NOT_ASKED_OF),
        (answer(MAYOR, BAIL), E.CAMPAIGN_NOT_ASKED_OF),
        # candidacy
        (answer(DA, BAIL), E.CAMPAIGN_NOT_CANDIDATE),
        (answer(DA, BAIL_OF_DA), E.CAMPAIGN_NOT_CANDIDATE),
    ],
)
def test_each_rule_refuses_with_its_code(b: CampaignBody, code: ErrorCode) -> None:
    assert refusal(b) == code


def test_a_refusal_is_a_domain_error_with_a_protocol_code() -> None:
    with pytest.raises(DomainError) as info:
        check(STATE, status(MAYOR, BAIL), actor_is_member=True)
    assert info.value.code == "campaign.not_asked_of"
    assert "not this target" in info.value.message


def test_the_first_rule_broken_decides() -> None:
    # Unknown campaign before a bad ref; a bad ref before an unknown target;
    # not asked of before not a candidate.
    lost = status(ELSEWHERE, BAIL, campaign=eid("nowhere"), ref=eid("nothing"))
    assert refusal(lost) == E.CAMPAIGN_UNKNOWN_CAMPAIGN
    assert refusal(status(ELSEWHERE, BAIL, ref=eid("nothing"))) == E.CAMPAIGN_BAD_REF
    assert refusal(status(ELSEWHERE, OTHER_DEMAND)) == E.CAMPAIGN_UNKNOWN_TARGET
    assert refusal(answer(MAYOR, BAIL)) == E.CAMPAIGN_NOT_ASKED_OF


def test_a_retracted_object_is_unknown() -> None:
    assert refusal(status(MAYOR, CAMERAS), STATE.retracted(CAMPAIGN)) == (
        E.CAMPAIGN_UNKNOWN_CAMPAIGN
    )
    assert refusal(status(MAYOR, CAMERAS), STATE.retracted(MAYOR)) == E.CAMPAIGN_UNKNOWN_TARGET
    assert refusal(status(MAYOR, CAMERAS), STATE.retracted(CAMERAS)) == E.CAMPAIGN_UNKNOWN_DEMAND
    assert refusal(action(plan=CALL_DAY), STATE.retracted(CALL_DAY)) == E.CAMPAIGN_UNKNOWN_PLAN
    assert refusal(target(CAMPAIGN, "mayor", ref=MAYOR), STATE.retracted(MAYOR)) == (
        E.CAMPAIGN_BAD_REF
    )
    assert STATE.retracted(eid("never seen")) == STATE


def test_a_ref_names_the_first_envelope_never_a_later_version() -> None:
    update_id = eid("mayor, second version")
    state = STATE.with_body(update_id, target(CAMPAIGN, "mayor", ref=MAYOR))
    assert identity(update_id, target(CAMPAIGN, "mayor", ref=MAYOR)) == MAYOR
    check(state, target(CAMPAIGN, "mayor", ref=MAYOR), actor_is_member=True)
    assert refusal(target(CAMPAIGN, "mayor", ref=update_id), state) == E.CAMPAIGN_BAD_REF
    assert refusal(status(update_id, CAMERAS), state) == E.CAMPAIGN_UNKNOWN_TARGET


def test_the_current_version_decides_who_a_demand_is_asked_of() -> None:
    # The mayor becomes a sheriff: the mayors' demand no longer applies to them.
    state = STATE.with_body(eid("v2"), target(CAMPAIGN, "sheriff", ref=MAYOR))
    assert refusal(status(MAYOR, CAMERAS), state) == E.CAMPAIGN_NOT_ASKED_OF
    # The demand is reworded to ask sheriffs: it applies again.
    state = state.with_body(eid("v3"), demand(CAMPAIGN, office_type="sheriff", ref=CAMERAS))
    check(state, status(MAYOR, CAMERAS), actor_is_member=True)
    # The candidate withdraws from the election: answers are refused.
    state = state.with_body(eid("v4"), target(CAMPAIGN, "district_attorney", ref=CANDIDATE))
    assert refusal(answer(CANDIDATE, BAIL), state) == E.CAMPAIGN_NOT_CANDIDATE


def test_named_ids_are_what_a_body_names() -> None:
    b = action(demand=CAMERAS, plan=CALL_DAY, ref=eid("a"))
    assert named_ids(b) == {CAMPAIGN, MAYOR, CAMERAS, CALL_DAY, eid("a")}
    assert named_ids(plan(CAMPAIGN, targets=[MAYOR, DA])) == {CAMPAIGN, MAYOR, DA}
    assert named_ids(body("campaign", name="N", goal="G")) == frozenset()


def restrict(state: CampaignState, ids: frozenset[str]) -> CampaignState:
    return CampaignState(
        objects={k: v for k, v in state.objects.items() if k in ids},
        targets={k: v for k, v in state.targets.items() if k in ids},
        demands={k: v for k, v in state.demands.items() if k in ids},
        plans={k: v for k, v in state.plans.items() if k in ids},
    )


def outcome(state: CampaignState, b: CampaignBody) -> str | None:
    try:
        check(state, b, actor_is_member=True)
    except CampaignRefusal as exc:
        return exc.code
    return None


POOL = [CAMPAIGN, OTHER, MAYOR, DA, CANDIDATE, ELSEWHERE, CAMERAS, BAIL, BAIL_OF_DA, CALL_DAY]
ids = st.sampled_from([*POOL, eid("unknown")])
optional_ids = st.none() | ids


@st.composite
def bodies(draw: st.DrawFn) -> CampaignBody:
    campaign, ref = draw(ids), draw(optional_ids)
    made: list[CampaignBody] = [
        status(draw(ids), draw(ids), campaign=campaign, ref=ref),
        body(
            "answer",
            campaign=campaign,
            target=draw(ids),
            demand=draw(ids),
            answer="partly",
            evidence=EVIDENCE,
            ref=ref,
        ),
        action(
            campaign=campaign, target=draw(ids), demand=draw(optional_ids), plan=draw(optional_ids)
        ),
        plan(
            campaign,
            targets=draw(st.lists(ids, max_size=3, unique=True)),
            demand=draw(optional_ids),
        ),
        body("pledge", campaign=campaign, plan=draw(ids), date=DAY, ref=ref),
        demand(campaign, target=draw(ids), ref=ref),
        target(campaign, draw(st.sampled_from(["mayor", "sheriff"])), ref=ref),
        body("campaign", name="N", goal="G", ref=ref),
    ]
    return draw(st.sampled_from(made))


@given(bodies())
def test_check_reads_only_the_ids_the_body_names(b: CampaignBody) -> None:
    """The store loads only named_ids(body); the outcome must be the same as with all."""
    assert outcome(restrict(STATE, named_ids(b)), b) == outcome(STATE, b)
