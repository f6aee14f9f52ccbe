"""``node.osdi``: the one entry of the OSDI API's node side, for the web UI's OSDI views
(``web_ui.osdi``) and the command line (``nst admin osdi-token``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from node.osdi.reads import OsdiReads
from node.osdi.tokens import OsdiTokens

if TYPE_CHECKING:
    from node.service import Node


class Osdi:
    """``tokens`` (make, list, revoke, check) and the reads the API serves."""

    def __init__(self, node: Node) -> None:
        self.tokens = OsdiTokens(node)
        reads = OsdiReads(node)
        self.campaigns = reads.campaigns
        self.campaign = reads.campaign
        self.outreaches = reads.outreaches
        self.outreach = reads.outreach
