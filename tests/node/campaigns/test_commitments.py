"""Elections ahead: once a candidate's result is ``won``, their pledged answers are
commitments to track beside the recorded ones; a recorded commitment about the same
demand takes a pledge's place, and a result of ``lost`` (or none yet) makes none."""

from __future__ import annotations

import datetime as dt

from node.service import Node

ELECTION = dt.date(2027, 11, 2)


async def test_a_winners_pledges_become_commitments_to_track(node: Node, circle: str) -> None:
    c = node.campaigns
    campaign = await c.create_campaign(circle, "ben", name="Fair prosecution", goal="Six demands")
    candidacy = {"election_date": ELECTION.isoformat(), "office": "District Attorney"}
    fields = {
        "name": "Grace Abernathy",
        "office_type": "district_attorney",
        "jurisdiction": "Hollis County",
        "candidacy": candidacy,
    }
    grace = await c.put_target(campaign, "ben", fields)
    demands = {}
    for title in ("End money bail", "Keep kids out of adult jails", "Publish metrics"):
        demands[title] = await c.put_demand(
            campaign, "ben", title=title, text=f"{title}, now.", office_type="district_attorney"
        )
    answers = (
        ("End money bail", "refused"),
        ("End money bail", "pledged"),  # the later answer counts
        ("Keep kids out of adult jails", "pledged"),
        ("Publish metrics", "partly"),
    )
    for title, answer in answers:
        await c.record_answer(campaign, "cleo", target=grace, demand=demands[title], answer=answer)
    assert await c.commitments(campaign, grace) == []  # the election is ahead

    for result, expected in (
        ("lost", []),
        ("won", ["End money bail", "Keep kids out of adult jails"]),
    ):
        fields["candidacy"] = {**candidacy, "result": result}
        await c.put_target(campaign, "ben", fields, target_id=grace)
        found = await c.commitments(campaign, grace)
        assert [x.demand_title for x in found] == expected
    bail, _ = found
    assert (bail.id, bail.from_pledge, bail.kept, bail.made) == (None, True, "open", ELECTION)
    assert bail.what == "End money bail, now."

    kept = await c.record_commitment(
        campaign, "ben", target=grace, demand=demands["Keep kids out of adult jails"],
        what="No child in the county jail", made=dt.date(2027, 11, 20), kept="kept",
    )  # fmt: skip
    found = await c.commitments(campaign, grace)
    assert [(x.demand_title, x.id, x.kept, x.from_pledge) for x in found] == [
        ("Keep kids out of adult jails", kept, "kept", False),
        ("End money bail", None, "open", True),
    ]
    assert await c.commitments(campaign, "no-such-target") == []
