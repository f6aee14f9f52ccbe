"""The federation service: what a node does with other nodes.

Inbound: authenticate a request (signature, linked sender, destination, freshness,
replay, rate), then link, unlink, ingest an inbox batch, or answer heads and feed
pulls for scopes the requester may read. Outbound: link with an invite, unlink,
deliver the outbox (per peer, batched, exponential backoff with jitter, never
dropped), and pull what is missing (heads, then feed pages).

I/O happens here; every rule it applies lives in protocol/ or node/domain/.

``Federation`` is the one object the rest of NST uses. Its parts are mixins over the
state they share (``FederationState``, federation/state.py), a module each:
authentication (requests), links (invites, linking, unlinking), inbox (verify and store
what peers send), sync (answer pulls, pull what is missing) and delivery (the outbox);
federation/limits.py holds the numbers of PROTOCOL.md §12, the rate limiter and the
backoff.
"""

from __future__ import annotations

from federation.authentication import Authentication
from federation.delivery import Delivery
from federation.inbox import Inbox
from federation.links import Links
from federation.sync import Sync


class Federation(Authentication, Links, Sync, Inbox, Delivery):
    """A node's federation: ``Federation(node, transport)``, its arguments those of
    ``FederationState``. (Sync comes before Inbox: it pulls through the inbox's ingest.)"""
