"""``nst demo``: show the product working on this machine.

Today it walks through the protocol core: three organizations' keys, a coalition
circle, a signed proposal and stances, verification, feed placement and a rejected
forgery. It grows into a local federation of three running nodes.
"""

from __future__ import annotations

import argparse

from nacl.signing import SigningKey

from protocol import (
    Draft,
    FeedHead,
    RemoteProtocolError,
    circle_id,
    decode_envelope,
    envelope_id,
    node_id_of,
    open_envelope,
    place,
    sign,
)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("demo", help="show a small coalition deciding together")
    p.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    orgs = {name: SigningKey.generate() for name in ("riverside", "northend", "tenants")}
    for name, key in orgs.items():
        print(f"{name:10} node {node_id_of(key)}")
    home = node_id_of(orgs["riverside"])
    general = circle_id("general", home)
    ts = "2026-11-22T10:00:00Z"
    proposal = sign(
        Draft(
            kind="proposal",
            scope=general,
            seq=1,
            prev=None,
            actor=f"ana@{home}",
            ts=ts,
            body={"title": "Shared campaign calendar", "text": "One calendar for all actions."},
        ),
        orgs["riverside"],
    )
    pid = envelope_id(proposal)
    print(f"\nproposal in {general}\n  id {pid}")
    for name, stance in (("northend", "consent"), ("tenants", "concern")):
        node = node_id_of(orgs[name])
        body = {"proposal": pid, "stance": stance}
        if stance != "consent":
            body["reason"] = "Who keeps it up to date?"
        env = sign(
            Draft("stance", general, 1, None, body, ts, actor=f"sam@{node}", refs=(pid,)),
            orgs[name],
        )
        _, sid = open_envelope(env.to_json())
        placement = place(env, sid, None, None)
        print(f"  {name} {stance:8} verified {sid[:20]}… feed: {placement}")
    forged = {**proposal.to_json(), "seq": 2, "prev": pid}
    try:
        open_envelope(forged)
    except RemoteProtocolError as exc:
        print(f"\na forged copy is refused: {exc.code}")
    next_env = decode_envelope(proposal.to_json())
    print(f"feed head after the proposal: {FeedHead(next_env.seq, pid).seq}")
    print("\nThe federation of three running nodes arrives with `nst run`; see README.md.")
    return 0
