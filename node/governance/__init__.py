"""Governance: the sociocratic processes of a node's circles, one module each, as commands
and reads over the node's core service (``node.core``).

``node.gov`` (a ``Governance``) is the one entry the web UI, federation and the demo use:
it names every command and read of the processes, each kept in its process's module
(``consent``, ``elections``, ``meetings``, ``backlog``, ``delegates``, ``reviews``,
``roles``, ``leaders``, ``structure``, ``home_moves``, ``agenda``, ``tasks``,
``refusals``, ``logbook``). What every command shares (one transaction, signed, ordered)
is ``process``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from node.governance.agenda import Agenda
from node.governance.backlog import Backlog
from node.governance.consent import Consent
from node.governance.delegates import Delegates
from node.governance.elections import Elections
from node.governance.home_moves import HomeMoves
from node.governance.leaders import Leaders
from node.governance.logbook import Logbook
from node.governance.meetings import Meetings
from node.governance.refusals import Refusals
from node.governance.reviews import Reviews
from node.governance.roles import Roles
from node.governance.structure import Structure
from node.governance.stuck import Stuck
from node.governance.tasks import Tasks

if TYPE_CHECKING:
    from node.core import NodeCore


class Governance:
    """The node's governance processes, composed: ``node.gov.propose`` is
    ``Consent.propose``, ``node.gov.nominate`` is ``Elections.nominate``, and so on."""

    def __init__(self, node: NodeCore) -> None:
        self.node = node
        consent = Consent(node)
        self.propose = consent.propose
        self.amend = consent.amend
        self.move = consent.move
        self.extend = consent.extend
        self.test_objection = consent.test_objection
        self.stance = consent.stance
        self._decide = consent.decide
        self.ask = consent.ask
        self.react = consent.react
        self.answer = consent.answer
        self.discussion = consent.discussion
        self.proposal = consent.proposal
        self.waiting_proposal = consent.waiting_proposal
        self.proposals = consent.proposals
        self.disputes = consent.disputes

        elections = Elections(node)
        self.open_selection = elections.open_selection
        self.nominate = elections.nominate
        self.reveal = elections.reveal
        self.move_selection = elections.move_selection
        self.selection_stance = elections.selection_stance
        self._record_selection = elections.record_selection
        self.record_due_choices = elections.record_due_choices
        self.selection = elections.selection
        self.selections = elections.selections
        self.expiring_terms = elections.expiring_terms
        self.open_due_elections = elections.open_due_elections
        self.role_register = Roles(node).register
        stuck = Stuck()
        self.stuck = stuck.items
        self.carry_out_leaders = Leaders(node, stuck).carry_out

        meetings = Meetings(node)
        self.schedule_meeting = meetings.schedule_meeting
        self.write_minutes = meetings.write_minutes
        self.meetings = meetings.meetings
        self.meeting = meetings.meeting
        self.correct_minutes = meetings.correct_minutes
        self.mark_done = meetings.mark_done
        self.minutes_versions = meetings.minutes_versions
        self.actions = meetings.actions
        self.owned_actions = meetings.owned_actions

        self.tasks = Tasks(node, meetings).tasks

        backlog = Backlog(node)
        self.add_backlog = backlog.add_backlog
        self.close_backlog = backlog.close_backlog
        self.backlog = backlog.backlog
        self.raise_referrals = backlog.raise_referrals

        delegates = Delegates(node)
        self.name_delegate = delegates.name_delegate
        self.delegations = delegates.delegations
        self.confirm_delegations = delegates.confirm_delegations
        self.keep_double_links = delegates.keep_double_links

        self.start_due_reviews = Reviews(node, consent).start_due_reviews
        self.refused_acts = Refusals(node).refused_acts
        structure = Structure(node, stuck)
        self.carry_out_structure = structure.carry_out
        self.proposed_structure = structure.proposed

        moves = HomeMoves(node)
        self.vote_home_move = moves.vote
        self.complete_home_moves = moves.complete
        self.home_silence = moves.silence
        self.home_move_sources = moves.sources
        self.votes_against_us = moves.against_us

        self._agenda = Agenda(node, elections)
        self.agenda = self._agenda.agenda

        logbook = Logbook(node)
        self.logbook = logbook.logbook
        self.logbook_export = logbook.logbook_export
        self.policy_register = logbook.policy_register

    async def decide(
        self, root: str, handle: str | None, *, statement: str = "", rationale: str = ""
    ) -> str:
        """``Consent.decide``; a referral then lands on the parent's backlog when this
        node is the parent's home, and on the home an adopted structural change is
        carried out at once (§13.14)."""
        decision = await self._decide(root, handle, statement=statement, rationale=rationale)
        await self.raise_referrals()
        await self.carry_out_structure()
        return decision

    async def record_selection(self, selection_id: str, handle: str | None) -> str:
        """``Elections.record_selection``; a leader a parent circle chose then takes the
        role in the child circle when this node is the child's home (§13.16)."""
        result = await self._record_selection(selection_id, handle)
        await self.carry_out_leaders()
        return result

    @property
    def agenda_ttl(self) -> float:
        """Seconds a member's agenda is kept when nothing changes (0: never kept)."""
        return self._agenda.agenda_ttl

    @agenda_ttl.setter
    def agenda_ttl(self, seconds: float) -> None:
        self._agenda.agenda_ttl = seconds
