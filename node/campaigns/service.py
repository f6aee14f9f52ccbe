"""``node.campaigns``: the one entry the web UI, the command line, the demo and OSDI use
for campaigns; it names every command (``commands``, ``importing``) and read (``reads``,
``board``, ``commitments``, and what the public site shows, ``public``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from node.campaigns.board import CampaignBoard
from node.campaigns.commitments import CampaignCommitments
from node.campaigns.importing import Importing
from node.campaigns.public import PublicCampaigns
from node.campaigns.reads import CampaignReads

if TYPE_CHECKING:
    from node.core import NodeCore


class Campaigns:
    """Campaigns of the node's circles: ``node.campaigns.log_action`` is
    ``CampaignCommands.log_action``, ``node.campaigns.scoreboard`` is
    ``CampaignBoard.scoreboard``, and so on."""

    def __init__(self, node: NodeCore) -> None:
        commands = Importing(node)
        self.create_campaign = commands.create_campaign
        self.update_campaign = commands.update_campaign
        self.put_target = commands.put_target
        self.put_demand = commands.put_demand
        self.record_status = commands.record_status
        self.record_commitment = commands.record_commitment
        self.log_action = commands.log_action
        self.put_plan = commands.put_plan
        self.pledge = commands.pledge
        self.record_answer = commands.record_answer
        self.import_targets = commands.import_targets

        reads = CampaignReads(node)
        self.campaigns = reads.campaigns
        self.campaign = reads.campaign
        self.targets = reads.targets
        self.target = reads.target
        board = CampaignBoard(node)
        self.scoreboard = board.scoreboard
        self.week = reads.week
        self.export_csv = reads.export_csv
        self.people = reads.people
        self.commitments = CampaignCommitments(node).commitments

        public = PublicCampaigns(node, reads, board)
        self.public_ids = public.public_ids
        self.decided_public = public.decided_public
        self.hidden_ids = public.hidden_ids
        self.set_hidden = public.set_hidden
        self.public_campaigns = public.public_campaigns
        self.public_campaign = public.public_campaign
