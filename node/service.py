"""The Node service: the node's core (``node.core``) with its features, the one object the
command line, the web UI, federation and the demo are given.

Everything that builds a node (``nst``, the demo, the tests' harness, the benchmarks)
builds this ``Node``, so every node has the same features. The core knows none of them:
each feature takes the core and registers with it what it needs (a listener, say).
"""

from __future__ import annotations

from typing import Any

from nacl.signing import SigningKey

from node.accounts import Accounts
from node.allies.service import Allies
from node.articles.service import Articles
from node.articles.site import Site
from node.brief.service import Brief
from node.campaigns.service import Campaigns
from node.circle_invitations import CircleInvitations
from node.clock import Clock
from node.config import Config
from node.core import NodeCore
from node.governance import Governance
from node.mail.schedule import MemberMailSchedule
from node.mail.service import Mail
from node.notifications import Notifications
from node.osdi.service import Osdi
from node.store import Store


class Node(NodeCore):
    """A node: the core service with its features, ``gov`` (the governance processes),
    ``accounts`` (web sessions and member invitations), ``notifications`` and
    ``circle_invitations`` (invitations to other organizations' federated circles, and
    the answers to them), ``campaigns`` and ``osdi`` (what the OSDI read API serves,
    and its tokens), ``articles`` and ``site`` (the public site's articles and home),
    ``mail`` (the outbox and what members receive by mail), ``brief`` (the Coalition
    Brief: the public's sign-up and the issues editors send) and ``allies`` (people who
    signed up on the public site to help)."""

    def __init__(self, config: Config, store: Store, key: SigningKey, clock: Clock) -> None:
        super().__init__(config, store, key, clock)
        self.gov = Governance(self)
        self.accounts = Accounts(self)
        self.notifications = Notifications(self)
        self.circle_invitations = CircleInvitations(self)
        self.campaigns = Campaigns(self)
        self.osdi = Osdi(self)
        self.articles = Articles(self)
        self.site = Site(self)
        self.mail = Mail(self)
        self.mail.worker.before_round.append(MemberMailSchedule(self).maybe_tick)
        self.brief = Brief(self)
        self.allies = Allies(self, self.mail)

    async def status(self) -> dict[str, Any]:
        """What the node holds and how its links are, for ``nst status`` and operators.

        ``last_errors`` stays empty here: those live in the running process's memory.
        """
        batches, writes = self.store.commit_stats
        peers = await self.peer_list()
        return {
            "node_id": self.node_id,
            "name": self.config.name,
            "url": self.config.url,
            "schema_version": self.store.schema_version,
            "envelopes": await self.store.counts(),
            "members": len(await self.members()),
            "circles": len(await self.circles()),
            "peers": peers,
            "queues": {p["node_id"]: p["queued"] for p in peers if p["queued"]},
            "equivocations": await self.store.equivocations(),
            "disputes": await self.gov.disputes(),
            "circle_invitations": [i.to_json() for i in await self.circle_invitations.pending()],
            "mail": await self.mail.summary(),
            "last_errors": [],
            "commits": {"batches": batches, "writes": writes},
        }
