"""Elections on one node: sealed nominations, their reveal, consent, and the role given."""

from __future__ import annotations

import datetime as dt

from node.clock import FixedClock
from node.service import Node


async def test_an_election_by_consent_gives_the_role(
    node: Node, clock: FixedClock, circle: str
) -> None:
    gov = node.gov
    election = await gov.open_selection(circle, "ana", "secretary", "Keeps the minutes", 12)
    ben, cleo = node.actor_of("ben"), node.actor_of("cleo")
    await gov.nominate(election, "ana", cleo)
    await gov.nominate(election, "ben", cleo)
    await gov.nominate(election, "cleo", ben)
    hidden = await gov.selection(election)
    assert hidden is not None
    assert all(n.nominee is None for n in hidden.nominations.values())  # sealed
    await gov.move_selection(election, "ana", "nomination_round")
    for handle in ("ana", "ben", "cleo"):
        await gov.reveal(election, handle, "keeps good notes")
    await gov.move_selection(election, "ana", "change_round")
    await gov.reveal(election, "cleo", "changed my mind", nominee=cleo)
    await gov.move_selection(election, "ana", "consent", candidate=cleo)
    for handle in ("ana", "ben", "cleo"):
        await gov.selection_stance(election, handle, cleo, "consent")
    await gov.record_selection(election, "ana")
    done = await gov.selection(election)
    assert done is not None
    assert done.selected == cleo
    assert done.term_start == clock.now().date()
    assert done.term_end == dt.date(2027, 11, 21)
    state = await node.circle(circle)
    assert state is not None
    assert state.holders("secretary") == [cleo]
    assert [e["kind"] for e in await gov.logbook(circle)] == ["policy", "selection"]
    assert await gov.expiring_terms() == []
    clock.advance(dt.timedelta(days=350))
    assert [s.id for s in await gov.expiring_terms()] == [election]
