"""Write the protocol v1 conformance vectors and the body JSON Schema.

Outputs ``tests/vectors/envelopes.json``, ``tests/vectors/requests.json`` (signed
federation requests and responses, and an invite) and ``docs/schemas/v1.json``. Everything is a
function of fixed seed keys and fixed timestamps (Ed25519 signatures are deterministic),
so running it twice writes the same bytes; ``test_vectors.py`` checks that the committed
files are exactly what this script produces. Run from the repository root:

    .venv/bin/python tests/vectors/generate.py
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from nacl.bindings import crypto_core_ed25519_add
from nacl.signing import SigningKey

from federation.client import scope_path
from federation.invites import Invite
from protocol import (
    MAX_DEPTH,
    MAX_INT,
    MAX_OBJECT_BYTES,
    SCHEMAS,
    Draft,
    Envelope,
    ErrorCode,
    b64decode,
    b64encode,
    circle_id,
    envelope_id,
    node_id_of,
    sha256_id,
    sign,
)
from protocol.canonical import encode
from protocol.requests import (
    DESTINATION,
    DIGEST,
    MAX_SKEW,
    NONCE,
    SENDER,
    SIGNATURE,
    TIMESTAMP,
    content_digest,
    response_string,
    signing_string,
)
from protocol.schema_export import json_schemas

E = ErrorCode
Json = dict[str, Any]

ROOT = Path(__file__).resolve().parents[2]
ENVELOPES = "tests/vectors/envelopes.json"
REQUESTS = "tests/vectors/requests.json"
SCHEMA = "docs/schemas/v1.json"

SEEDS = {"org1": 0x01, "org2": 0x02, "org3": 0x03, "org2.next": 0x04}
START = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)
# Order of the Ed25519 base point: a signature's S must be below it.
L = 2**252 + 27742317777372353535851937790883648493
IDENTITY_POINT = bytes([1]) + bytes(31)
ORDER_8_POINT = bytes.fromhex("c7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa")
OFF_CURVE = bytes([2]) + bytes(31)  # no curve point has y = 2
DROP = object()  # as a member's new value: remove the member
B64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def text(data: bytes) -> str:
    return data.decode("utf-8")


def header_of(obj: Json) -> bytes:
    """What a signature covers: everything but ``sig`` and ``body``."""
    return encode({k: v for k, v in obj.items() if k not in ("sig", "body")})


def swap(data: bytes, old: bytes, new: bytes) -> bytes:
    """Replace the one occurrence of ``old``; a vector that misses its target is a bug here."""
    if data.count(old) != 1:
        raise AssertionError(f"{old!r} occurs {data.count(old)} times")
    return data.replace(old, new)


def with_input(vector: Json, data: bytes) -> Json:
    try:
        vector["input"] = data.decode("utf-8")
    except UnicodeDecodeError:
        vector["input_b64"] = base64.b64encode(data).decode("ascii")
    return vector


# --- the valid story ---------------------------------------------------------------------------

NOTES = {
    "circle": "The home node founds a federated circle.",
    "membership.node": "A node joins the circle (nodes hold no roles).",
    "membership.person": "A member of another node becomes the circle's delegate.",
    "proposal": "A first proposal version, made by a member on behalf of her node.",
    "phase": "The facilitator presents the proposal.",
    "message.question": "A clarifying question (org3's feed, seq 1).",
    "stance.object": "An objection tied to the aim (org3's feed, seq 2).",
    "proposal.amendment": "An amended version that integrates the objection.",
    "stance.consent": "Consent to the amended version (the worked example of PROTOCOL.md).",
    "stance.concern": "Consent with a concern (org3's feed, seq 3).",
    "decision": "The proposal is adopted; the decision names every stance it counted.",
    "selection.open": "An election by consent opens for the facilitator role.",
    "selection.nominate": "A sealed nomination: sha256 over canonical {nominee, salt}.",
    "selection.reveal": "The nomination revealed: nominee and salt reproduce the commitment.",
    "selection.phase": "The facilitator proposes a candidate and opens the consent round.",
    "selection.stance": "A stance on the proposed candidate.",
    "selection.result": "The candidate is selected for a term.",
    "selection.open_for_circle": "The parent circle opens the election of a sub-circle's leader.",
    "selection.result_for_circle": "The parent circle selects the sub-circle's leader.",
    "membership.chosen_leader": "The sub-circle's home gives its leader role to the person its"
    " parent chose, the parent's open and result attached.",
    "meeting.schedule": "A meeting is scheduled with its agenda.",
    "meeting.minutes": "The minutes of the meeting, naming the decision taken.",
    "circle.roles": "A new charter: a quorum, a declared role, three delegates per organization.",
    "membership.declared_role": "A member takes a role the charter declares.",
    "meeting.correct": "The minutes corrected, whole: an attendee and an action item added.",
    "meeting.done": "The action's owner marks it done, naming the current minutes.",
    "meeting.backlog": "A member puts a tension on the circle's backlog.",
    "proposal.structure": "A proposal co-written, replacing a decision, changing the circle.",
    "phase.extend": "The facilitator extends the consent round to a later deadline.",
    "meeting.schedule.next": "The next meeting, its agenda item drawn from the backlog.",
    "stance.stand_aside": "A member stands aside: neither blocking nor consenting.",
    "stance.recorded": "The secretary records an objection a member gave aloud in the meeting.",
    "phase.test": "The circle tests the objection and finds it is not one.",
    "decision.records": "An adoption with the test it relied on, its statement and rationale.",
    "meeting.minutes.approves": "Minutes with a guest and an action, approving earlier minutes.",
    "meeting.backlog_close": "The secretary closes the backlog item once dealt with.",
    "selection.open.declared_role": "An election of a declared role, naming whom it replaces.",
    "campaign.campaign": "A campaign, owned by the circle whose scope holds it.",
    "campaign.target": "An office holder the campaign targets, with every field of the record.",
    "campaign.target.candidate": "A candidate for an office in an upcoming election.",
    "campaign.demand": "A demand asked of every target holding an office type.",
    "campaign.demand.one_target": "A demand asked of one target (the candidate).",
    "campaign.status": "Where the demand stands with the mayor, with its evidence.",
    "campaign.commitment": "The mayor's promise, with a due date.",
    "campaign.plan": "A recurring action: a call day every Tuesday.",
    "campaign.pledge": "A member pledges to one occurrence of the plan.",
    "campaign.action": "A member's call, logged against the target and the plan.",
    "campaign.answer": "The candidate's answer to the questionnaire's demand.",
    "campaign.demand.update": "A new wording of the demand: ref names its first envelope.",
    "campaign.campaign.public": "A new version of the campaign, public once adopted.",
    "campaign.article": "An article the circle publishes on its members' sites once adopted.",
    "proposal.adopts": "A proposal adopting the campaign, its target and the demand's new wording.",
    "message": "A node's own message: non-ASCII text and every JSON escape class.",
    "message.direct": "A node-to-node message in a direct scope; its box is opaque here.",
    "message.retracted": "A message its author later retracts.",
    "retract": "The author retracts its message.",
    "retracted": "message.retracted after its retraction: no body, same header, same id.",
    "key.rotate": "org2 rotates to the key of seed 04; proof is the new key's signature.",
    "home.vote": "org2 votes to move the coalition circle's silent home (org1) to org3.",
    "circle.edge": "Edge values: a 200-code-point name (400 UTF-16 units), seq 2^53-1.",
}


class World:
    """Three organizations posting into a coalition circle; every envelope is recorded."""

    def __init__(self) -> None:
        self.keys = {name: SigningKey(bytes([seed]) * 32) for name, seed in SEEDS.items()}
        self.nid = {name: node_id_of(key) for name, key in self.keys.items()}
        self.general = circle_id("general", self.nid["org1"])
        self.minutes = 0
        self.heads: dict[tuple[str, str], tuple[int, str]] = {}
        self.envelopes: dict[str, Envelope] = {}
        self.valid: list[Json] = []

    def actor(self, handle: str, org: str) -> str:
        return f"{handle}@{self.nid[org]}"

    def signer(self, author: object) -> SigningKey:
        """The key for a forged envelope: its author's, or org1's when the author is broken."""
        names = [name for name, nid in self.nid.items() if nid == author]
        return self.keys[names[0] if names else "org1"]

    def draft(self, org: str, kind: str, body: Json, **kw: Any) -> Envelope:
        """Sign the next envelope of ``org``'s feed (``seq`` and ``prev`` may be forced)."""
        scope = kw.pop("scope", self.general)
        seq, prev = self.heads.get((org, scope), (0, None))
        self.minutes += 1
        ts = (START + dt.timedelta(minutes=self.minutes)).strftime("%Y-%m-%dT%H:%M:%SZ")
        fields = {"scope": scope, "seq": seq + 1, "prev": prev, "ts": ts, **kw}
        return sign(Draft(kind=kind, body=body, **fields), self.keys[org])

    def post(self, name: str, org: str, kind: str, body: Json, **kw: Any) -> str:
        """Sign, append to the feed, record as a valid vector; return the envelope id."""
        env = self.draft(org, kind, body, **kw)
        self.heads[(org, env.scope)] = (env.seq, envelope_id(env))
        self.record(name, env)
        return envelope_id(env)

    def record(self, name: str, env: Envelope) -> None:
        self.envelopes[name] = env
        vector: Json = {
            "name": name,
            "description": NOTES[name],
            "kind": env.kind,
            "envelope": env.to_json(),
            "canonical": text(env.to_bytes()),
            "signed": text(header_of(env.to_json())),
            "header": text(encode(env.header())),
        }
        if env.body is not None:
            vector["body"] = text(encode(env.body))
        self.valid.append(
            vector | {"body_hash": env.body_hash, "sig": env.sig, "id": envelope_id(env)}
        )


def build_story(w: World) -> None:
    """One coalition circle homed on org1, with every kind and every op of protocol v1."""
    chris, ana, dora, ben = (
        w.actor("chris", "org1"),
        w.actor("ana", "org2"),
        w.actor("dora", "org2"),
        w.actor("ben", "org3"),
    )
    w.post(
        "circle",
        "org1",
        "circle",
        {
            "name": "Coalition general circle",
            "aim": "Coordinate the coalition's shared campaigns and decide together by consent.",
            "domain": "Joint statements, shared campaigns, the coalition's calendar.",
            "federated": True,
            "silence": "consent",
            "round_hours": 48,
        },
    )
    member = {"member": w.nid["org2"], "status": "active"}
    w.post("membership.node", "org1", "membership", member)
    delegate = {"member": ana, "status": "active", "roles": ["delegate"], "term_end": "2027-11-30"}
    w.post("membership.person", "org1", "membership", delegate)

    # The consent process: a proposal, an objection, an amendment, stances, the decision.
    first = {
        "title": "Joint letter on rent control",
        "text": "We send one joint letter to the housing committee before 15 January.",
        "measures": ["Letter sent by 15 January"],
    }
    p1 = w.post("proposal", "org2", "proposal", first, actor=ana)
    present = {"proposal": p1, "phase": "presented", "deadline": "2026-11-24T18:00:00Z"}
    w.post("phase", "org1", "phase", present, actor=chris, refs=(p1,))
    question = {"text": "Which committee members receive the letter?", "purpose": "question"}
    w.post("message.question", "org3", "message", question, actor=ben, refs=(p1,))
    reason = "Tenants' unions must co-sign, or the letter speaks over them."
    objecting = {"proposal": p1, "stance": "object", "reason": reason}
    objection = w.post("stance.object", "org3", "stance", objecting, actor=ben, refs=(p1,))
    amended = {
        "title": "Joint letter on rent control, co-signed by tenants' unions",
        "text": "We send one joint letter, co-signed by the tenants' unions, by 15 January.",
        "root": p1,
        "version": 2,
        "changes": "Tenants' unions co-sign.",
        "review_date": "2027-03-01",
        "measures": ["Letter sent by 15 January", "Two unions co-sign"],
    }
    p2 = w.post("proposal.amendment", "org2", "proposal", amended, actor=ana, refs=(p1, objection))
    consent = {"proposal": p2, "stance": "consent"}
    s_ana = w.post("stance.consent", "org2", "stance", consent, actor=ana, refs=(p2,))
    concern = {"proposal": p2, "stance": "concern", "reason": "The deadline is tight."}
    s_ben = w.post("stance.concern", "org3", "stance", concern, actor=ben, refs=(p2,))
    outcome = {
        "proposal": p2,
        "outcome": "adopted",
        "stances": [s_ana, s_ben],
        "resolutions": [{"objection": objection, "how": "Unions co-sign.", "version": p2}],
        "silent": [dora],
        "review_date": "2027-03-01",
        "measures": ["Letter sent by 15 January"],
    }
    counted = (p2, s_ana, s_ben, objection)
    decision = w.post("decision", "org1", "decision", outcome, actor=chris, refs=counted)

    # An election by consent.
    opening = {
        "op": "open",
        "role": "facilitator",
        "description": "Facilitates the circle's meetings and consent rounds.",
        "term_months": 12,
    }
    election = w.post("selection.open", "org1", "selection", opening, actor=chris)
    salt = b64encode(hashlib.sha256(b"nst vectors: nomination salt").digest()[:16])
    sealed = encode({"nominee": ben, "salt": salt})
    nominate = {"op": "nominate", "selection": election, "commitment": sha256_id(sealed)}
    nomination = w.post(
        "selection.nominate", "org2", "selection", nominate, actor=ana, refs=(election,)
    )
    w.valid[-1]["commitment_input"] = text(sealed)
    reveal = {
        "op": "reveal",
        "selection": election,
        "nomination": nomination,
        "nominee": ben,
        "salt": salt,
        "reason": "Ben keeps rounds short and fair.",
    }
    both = (election, nomination)
    w.post("selection.reveal", "org2", "selection", reveal, actor=ana, refs=both)
    phase = {
        "op": "phase",
        "selection": election,
        "phase": "consent",
        "candidate": ben,
        "deadline": "2026-11-25T18:00:00.5Z",
    }
    w.post("selection.phase", "org1", "selection", phase, actor=chris, refs=(election,))
    stance = {"op": "stance", "selection": election, "candidate": ben, "stance": "consent"}
    vote = w.post("selection.stance", "org2", "selection", stance, actor=dora, refs=(election,))
    result = {
        "op": "result",
        "selection": election,
        "candidate": ben,
        "term_start": "2026-12-01",
        "term_end": "2027-11-30",
        "stances": [vote],
    }
    w.post("selection.result", "org1", "selection", result, actor=chris, refs=(election, vote))

    # The parent circle chooses a sub-circle's leader (§13.16); the sub-circle's home
    # carries it out, the parent's two envelopes attached.
    child = circle_id("c" * 64, w.nid["org1"])
    leading = {
        "op": "open",
        "role": "leader",
        "description": "Leads the outreach circle.",
        "term_months": 12,
        "for_circle": child,
    }
    chosen = w.post("selection.open_for_circle", "org1", "selection", leading, actor=chris)
    picked = {
        "op": "result",
        "selection": chosen,
        "candidate": ben,
        "term_start": "2026-12-01",
        "term_end": "2027-11-30",
    }
    picked_id = w.post("selection.result_for_circle", "org1", "selection", picked, refs=(chosen,))
    attached = [
        w.envelopes[n].to_json()
        for n in ("selection.open_for_circle", "selection.result_for_circle")
    ]
    leader = {"member": ben, "status": "active", "roles": ["leader"], "chosen_by": attached}
    w.post("membership.chosen_leader", "org1", "membership", leader, scope=child, refs=(picked_id,))

    # A meeting and its minutes.
    item = {"title": "Rent control letter", "type": "decide", "proposal": p2}
    schedule = {
        "op": "schedule",
        "title": "December circle meeting",
        "starts": "2026-12-03T18:30:00Z",
        "agenda": [item, {"title": "Round of news", "type": "report"}],
    }
    meeting = w.post("meeting.schedule", "org1", "meeting", schedule, actor=chris)
    minutes = {
        "op": "minutes",
        "meeting": meeting,
        "attendance": [chris, ana, ben],
        "opening": "Everyone checked in.",
        "agenda_consented": True,
        "items": [{**item, "notes": "Adopted.", "decision": decision}],
        "closing": "Good meeting.",
    }
    minuted = w.post(
        "meeting.minutes", "org1", "meeting", minutes, actor=chris, refs=(meeting, decision)
    )
    build_governance_story(w, decision, meeting, minutes | {"id": minuted})

    build_campaign_story(w)

    # Messages: text in a circle (every escape class), a sealed box in a direct scope.
    escapes = (
        'Bienvenue à tous ✊ — "quotes", \\ backslash, tab\t, newline\n, '
        "bell\x07, delete\x7f, line separator\u2028, emoji 😀."
    )
    w.post("message", "org1", "message", {"text": escapes})
    box = {"box": b64encode(hashlib.sha256(b"nst vectors: sealed box").digest() * 3)}
    w.post("message.direct", "org3", "message", box, scope=f"direct:{w.nid['org1']}")
    chat = {"text": "Draft letter: see the shared folder.", "thread": p2, "purpose": "answer"}
    said = w.post("message.retracted", "org2", "message", chat, actor=ana, refs=(p2,))
    withdraw = {"target": said, "reason": "Posted in the wrong circle."}
    w.post("retract", "org2", "retract", withdraw, actor=ana, refs=(said,))
    w.record("retracted", w.envelopes["message.retracted"].without_body())

    # The old key names its successor; the new key signs {"new", "old"}.
    proof_input = encode({"new": w.nid["org2.next"], "old": w.nid["org2"]})
    proof = b64encode(w.keys["org2.next"].sign(proof_input).signature)
    rotate = {"new_key": w.nid["org2.next"], "proof": proof, "reason": "Scheduled rotation."}
    w.post("key.rotate", "org2", "key.rotate", rotate, scope=f"direct:{w.nid['org1']}")
    w.valid[-1]["proof_input"] = text(proof_input)

    # A vote to move a silent home (§13.15): the last position the voter holds, by id.
    held = envelope_id(w.envelopes["circle"])
    vote = {"home": w.nid["org1"], "to": w.nid["org3"], "pos": 41, "pos_id": held}
    w.post("home.vote", "org2", "home.vote", vote, scope=w.general)

    edge = {"name": "🏠" * 200, "aim": "", "round_hours": 2160, "parent": w.general}
    scope = circle_id("a" * 64, w.nid["org1"])
    first_id = envelope_id(w.envelopes["circle"])
    w.post("circle.edge", "org1", "circle", edge, scope=scope, seq=MAX_INT, prev=first_id)


TREASURER = {"name": "treasurer", "description": "Keeps the coalition's money.", "term_months": 6}


def build_governance_story(w: World, decision: str, meeting: str, minutes: Json) -> None:
    """The role register, a structural proposal and the round controls, corrected and
    approved minutes, action items and the backlog (PROTOCOL.md §8.2–§8.9, §13.2–§13.14)."""
    chris, ana, dora, ben = (
        w.actor("chris", "org1"),
        w.actor("ana", "org2"),
        w.actor("dora", "org2"),
        w.actor("ben", "org3"),
    )
    charter = {
        "name": "Coalition general circle",
        "aim": "Coordinate the coalition's shared campaigns and decide together by consent.",
        "federated": True,
        "quorum": 50,
        "roles": [TREASURER, {"name": "delegate", "holders": 3}],
    }
    w.post("circle.roles", "org1", "circle", charter)
    treasurer = {"member": dora, "status": "active", "roles": ["treasurer"]}
    w.post("membership.declared_role", "org1", "membership", treasurer)

    content = {k: x for k, x in minutes.items() if k not in ("op", "id")}
    send = {"what": "Send the letter", "owner": ana, "due": "2027-01-10"}
    items = [{**content["items"][0], "actions": [send]}]
    corrected = {
        **content,
        "op": "correct",
        "attendance": [chris, ana, ben, dora],
        "items": items,
        "replaces": minutes["id"],
        "note": "Dora attended; the letter's action was left out.",
    }
    refs = (meeting, minutes["id"])
    fixed = w.post("meeting.correct", "org1", "meeting", corrected, actor=chris, refs=refs)
    done = {"op": "done", "meeting": meeting, "minutes": fixed, "action": 1}
    w.post("meeting.done", "org2", "meeting", done, actor=ana, refs=(meeting, fixed))
    tension = {"op": "backlog", "title": "Who pays for the printing?", "note": "Before March."}
    item = w.post("meeting.backlog", "org2", "meeting", tension, actor=dora)

    structural = {
        "title": "Welcome org3's tenants, two-day rounds",
        "text": "Ben facilitates with Chris; rounds last 48 hours.",
        "coauthors": [dora],
        "replaces": decision,
        "structure": [
            {"op": "member", "member": ben, "status": "active", "roles": ["facilitator"]},
            {"op": "member", "member": w.nid["org3"], "status": "active"},
            {"op": "charter", "charter": charter | {"round_hours": 48}},
        ],
    }
    p3 = w.post("proposal.structure", "org2", "proposal", structural, actor=ana, refs=(decision,))
    extend = {
        "proposal": p3,
        "phase": "consent",
        "deadline": "2026-12-12T18:00:00Z",
        "note": "Two more days for the member organizations.",
    }
    w.post("phase.extend", "org1", "phase", extend, actor=chris, refs=(p3,))
    next_meeting = {
        "op": "schedule",
        "title": "January circle meeting",
        "starts": "2027-01-07T18:30:00Z",
        "agenda": [
            {"title": "Printing costs", "type": "explore", "backlog": item},
            {"title": "Structure", "type": "decide", "proposal": p3},
        ],
    }
    january = w.post("meeting.schedule.next", "org1", "meeting", next_meeting, actor=chris)
    aside = {"proposal": p3, "stance": "stand_aside", "reason": "Org2 wrote it."}
    s_dora = w.post("stance.stand_aside", "org2", "stance", aside, actor=dora, refs=(p3,))
    aloud = {
        "proposal": p3,
        "stance": "object",
        "reason": "Two days is too short for our assembly.",
        "member": ben,
        "meeting": january,
    }
    refs = (p3, january)
    s_ben = w.post("stance.recorded", "org1", "stance", aloud, actor=chris, refs=refs)
    test = {
        "objection": s_ben,
        "valid": False,
        "reason": "The assembly can meet online within two days.",
    }
    tested = {"proposal": p3, "phase": "consent", "test": test}
    t = w.post("phase.test", "org1", "phase", tested, actor=chris, refs=(p3, s_ben))
    adopted = {
        "proposal": p3,
        "outcome": "adopted",
        "stances": [s_ben, s_dora],
        "silent": [ana],
        "tests": [t],
        "statement": "Ben co-facilitates, org3 joins, rounds last two days.",
        "rationale": "Faster rounds, with the tenants at the table.",
    }
    w.post("decision.records", "org1", "decision", adopted, actor=chris, refs=(p3, s_ben, t))
    approving = {
        "op": "minutes",
        "meeting": january,
        "attendance": [chris, ben],
        "agenda_consented": True,
        "items": [
            {
                "title": "Printing costs",
                "type": "explore",
                "backlog": item,
                "actions": [{"what": "Ask three print shops", "owner": ben}],
            }
        ],
        "guests": ["Rosa (tenants' union)"],
        "approves": fixed,
    }
    refs = (january, fixed)
    w.post("meeting.minutes.approves", "org1", "meeting", approving, actor=chris, refs=refs)
    close = {"op": "backlog_close", "item": item, "note": "Three quotes asked for."}
    w.post("meeting.backlog_close", "org1", "meeting", close, actor=chris, refs=(item,))
    opening = {
        "op": "open",
        "role": "treasurer",
        "description": TREASURER["description"],
        "term_months": 6,
        "replaces": dora,
    }
    w.post("selection.open.declared_role", "org1", "selection", opening, actor=chris)


def build_campaign_story(w: World) -> None:
    """The coalition's campaign: one object of each type, an update, and a proposal that
    adopts the campaign, a target and a demand (PROTOCOL.md §8.13, §13.11)."""
    ana, dora, ben = w.actor("ana", "org2"), w.actor("dora", "org2"), w.actor("ben", "org3")
    drive = {
        "object": "campaign",
        "name": "Accountable policing in Riverton",
        "goal": "Body cameras, certified officers and no chokeholds by the end of 2027.",
        "pressure_days": 7,
    }
    campaign = w.post("campaign.campaign", "org2", "campaign", drive, actor=ana)
    official = {
        "object": "target",
        "campaign": campaign,
        "name": "Sam Rivera",
        "given_name": "Sam",
        "family_name": "Rivera",
        "office_type": "mayor",
        "title": "Mayor of Riverton",
        "jurisdiction": "City of Riverton",
        "ocd_division": "ocd-division/country:us/state:mn/place:riverton",
        "party": "Independent",
        "term_start": "2026-01-02",
        "term_end": "2029-12-31",
        "offices": [
            {"classification": "capitol", "address": "1 City Hall Sq", "voice": "555 0100"}
        ],
        "email": "mayor@riverton.example",
        "contact_form": "https://riverton.example/mayor/contact",
        "website": "https://riverton.example/mayor",
        "platform_url": "https://rivera.example/platform",
        "photo_url": "https://riverton.example/mayor.jpg",
        "positions": [
            {
                "date": "2026-03-01",
                "text": "Open to body cameras.",
                "source": "https://news.example/1",
            }
        ],
        "sources": [{"url": "https://riverton.example/mayor", "checked": "2026-11-01"}],
        "ids": [
            {"scheme": "openstates", "value": "ocd-person/00000000-0000-0000-0000-000000000001"}
        ],
        "notes": "Appoints the police chief.",
    }
    about = (campaign,)
    mayor = w.post("campaign.target", "org2", "campaign", official, actor=ana, refs=about)
    running = {
        "object": "target",
        "campaign": campaign,
        "name": "Jo Park",
        "office_type": "district_attorney",
        "jurisdiction": "Riverton County",
        "candidacy": {"election_date": "2027-11-02", "office": "District Attorney"},
    }
    candidate = w.post(
        "campaign.target.candidate", "org3", "campaign", running, actor=ben, refs=about
    )
    cameras = {
        "object": "demand",
        "campaign": campaign,
        "title": "Body cameras",
        "text": "Every officer wears a body camera, switched on, on every call.",
        "reasoning": "Evidence protects residents and honest officers alike.",
        "script": "I live in Riverton and ask the mayor to require body cameras.",
        "office_type": "mayor",
    }
    demand = w.post("campaign.demand", "org2", "campaign", cameras, actor=ana, refs=about)
    bail = {
        "object": "demand",
        "campaign": campaign,
        "title": "End money bail",
        "text": "No one stays in jail because they are poor.",
        "target": candidate,
    }
    questionnaire = w.post(
        "campaign.demand.one_target", "org3", "campaign", bail, actor=ben, refs=(candidate,)
    )
    asked = {
        "object": "status",
        "campaign": campaign,
        "demand": demand,
        "target": mayor,
        "status": "in_talks",
        "date": "2026-12-01",
        "evidence": {"url": "https://news.example/2", "quote": "We are looking at it."},
    }
    w.post("campaign.status", "org3", "campaign", asked, actor=ben, refs=(demand, mayor))
    promise = {
        "object": "commitment",
        "campaign": campaign,
        "target": mayor,
        "demand": demand,
        "what": "A budget line for cameras in the spring budget.",
        "made": "2026-12-01",
        "due": "2027-04-30",
    }
    w.post("campaign.commitment", "org2", "campaign", promise, actor=ana, refs=(mayor,))
    call_day = {
        "object": "plan",
        "campaign": campaign,
        "title": "Tuesday call day",
        "channel": "call",
        "weekday": 1,
        "starts": "2026-12-01",
        "targets": [mayor],
        "demand": demand,
        "script": "Ask for the budget line.",
    }
    plan = w.post("campaign.plan", "org2", "campaign", call_day, actor=ana, refs=(mayor,))
    pledge = {"object": "pledge", "campaign": campaign, "plan": plan, "date": "2026-12-08"}
    w.post("campaign.pledge", "org2", "campaign", pledge, actor=dora, refs=(plan,))
    call = {
        "object": "action",
        "campaign": campaign,
        "target": mayor,
        "demand": demand,
        "channel": "call",
        "date": "2026-12-08",
        "outcome": "Spoke to the scheduler",
        "response": "The mayor reads every message.",
        "plan": plan,
    }
    w.post("campaign.action", "org2", "campaign", call, actor=dora, refs=(plan,))
    answer = {
        "object": "answer",
        "campaign": campaign,
        "target": candidate,
        "demand": questionnaire,
        "answer": "pledged",
        "evidence": {"note": "Signed the questionnaire at the forum."},
    }
    w.post("campaign.answer", "org3", "campaign", answer, actor=ben, refs=(questionnaire,))
    reworded = {**cameras, "ref": demand, "text": "Every officer wears a body camera on duty."}
    update = w.post(
        "campaign.demand.update", "org2", "campaign", reworded, actor=ana, refs=(demand,)
    )
    adopting = {
        "title": "Adopt the policing campaign",
        "text": "The coalition runs this campaign with its mayor target and camera demand.",
        "adopts": [campaign, mayor, update],
    }
    w.post("proposal.adopts", "org2", "proposal", adopting, actor=ana, refs=(campaign, update))
    public = {**drive, "ref": campaign, "public": True}
    w.post("campaign.campaign.public", "org2", "campaign", public, actor=ana, refs=(campaign,))
    article = {
        "object": "article",
        "title": "Why Riverton needs body cameras",
        "slug": "why-body-cameras",
        "summary": "Evidence protects residents and honest officers alike.",
        "body": "## The case\n\nEvery call recorded, *switched on*.",
    }
    w.post("campaign.article", "org2", "campaign", article, actor=ana)


# --- invalid envelopes -------------------------------------------------------------------------


class Invalid:
    """Single-rule violations made from valid vectors, re-signed so only that rule breaks."""

    def __init__(self, w: World) -> None:
        self.w = w
        self.out: list[Json] = []

    def fields(self, base: str) -> Json:
        """A deep copy of a valid vector's envelope."""
        return json.loads(self.w.envelopes[base].to_bytes())  # type: ignore[no-any-return]

    def forge(self, obj: Json, *, rehash: bool = True, key: SigningKey | None = None) -> Json:
        """Recompute body_hash (over ``body``) and sig (over everything but sig and body)."""
        obj = dict(obj)
        if rehash and isinstance(obj.get("body"), dict):
            obj["body_hash"] = sha256_id(encode(obj["body"]))
        signer = key or self.w.signer(obj.get("author"))
        obj["sig"] = b64encode(signer.sign(header_of(obj)).signature)
        return obj

    def add(self, name: str, code: E, rule: str, data: bytes, base: str | None = None) -> None:
        self.out.append(with_input({"name": name, "rule": rule, "base": base, "error": code}, data))

    def field(
        self,
        name: str,
        code: E,
        rule: str,
        /,
        *,
        base: str = "message",
        resign: bool = True,
        rehash: bool = True,
        key: SigningKey | None = None,
        **values: Any,
    ) -> None:
        """Set envelope members of ``base`` (DROP removes one), then re-sign unless told not to."""
        obj = {k: x for k, x in (self.fields(base) | values).items() if x is not DROP}
        if resign:
            obj = self.forge(obj, rehash=rehash, key=key)
        self.add(name, code, rule, encode(obj), base)

    def splice(
        self, name: str, code: E, rule: str, base: str, old: bytes, new: bytes, reading: Json
    ) -> None:
        """Sign ``reading`` (what a lax parser makes of the input), then splice in ``new``."""
        self.add(name, code, rule, swap(encode(self.forge(reading)), old, new), base)

    def in_text(self, name: str, code: E, rule: str, lax: str, raw: bytes) -> None:
        """Put ``raw`` at the start of the message text, signed as if it read ``lax``."""
        obj = self.fields("message")
        obj["body"]["text"] = lax + obj["body"]["text"]
        start = b'"body":{"text":"'
        self.splice(name, code, rule, "message", start + encode(lax)[1:-1], start + raw, obj)


def build_json_rules(v: Invalid) -> None:
    """Steps 1–2: size, depth and the canonical subset, before anything else is looked at."""
    message = v.w.envelopes["message"].to_bytes()
    padded = message + b" " * (MAX_OBJECT_BYTES + 1 - len(message))
    v.add("too_large", E.TOO_LARGE, "A valid envelope padded to 64 KiB + 1.", padded, "message")
    deep = v.fields("message")
    deep["body"] = {"text": json.loads("[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1))}
    rule = "33 nested containers: envelope, body, 31 arrays."
    v.add("too_deep", E.TOO_DEEP, rule, encode(v.forge(deep)), "message")
    for name, rule, data in (
        ("syntax_trailing_comma", "A trailing comma.", message[:-1] + b",}"),
        ("syntax_bom", "A UTF-8 byte order mark first.", b"\xef\xbb\xbf" + message),
        ("syntax_trailing_data", "A second value after the envelope.", message + b"{}"),
    ):
        v.add(name, E.SYNTAX, rule, data, "message")
    v.add("syntax_not_json", E.SYNTAX, "Not JSON at all.", b"hello")

    # Bytes a lax parser would read as something else; signed over that reading.
    for name, code, lax, raw, rule in (
        ("syntax_raw_control_character", E.SYNTAX, "\n", b"\n", "A raw line feed in a string."),
        ("invalid_utf8_byte", E.INVALID_UTF8, "\ufffd", b"\xff", "A 0xFF byte."),
        ("invalid_utf8_encoded_surrogate", E.INVALID_UTF8, "\ufffd", b"\xed\xa0\x80",
         "U+D800 as bytes ED A0 80 (CESU-8)."),
        ("invalid_utf8_overlong", E.INVALID_UTF8, "/", b"\xc0\xaf", "'/' overlong: C0 AF."),
        ("lone_surrogate", E.LONE_SURROGATE, "\ufffd", b"\\ud800", "\\ud800 alone."),
        ("lone_surrogate_reversed", E.LONE_SURROGATE, "\ufffd\ufffd", b"\\ude00\\ud83d",
         "A low surrogate before a high one."),
    ):  # fmt: skip
        v.in_text(name, code, f"{rule} Signed as if it read {lax!a}.", lax, raw)

    # Hostile: the signature covers the reading of a lax parser (last key wins, or the
    # number re-serialized), so only the canonical-subset check can catch these.
    readings = {"message": v.fields("message"), "circle": v.fields("circle")}
    text_start, vote = b'"body":{"text":"', b'"Vote no on everything.",'
    chris = v.w.actor("chris", "org1").encode()
    hours, seq = b'"round_hours":48', b'"seq":%d' % (MAX_INT + 1)
    for name, code, base, old, new, rule in (
        ("duplicate_key_body", E.DUPLICATE_KEY, "message", text_start,
         b'"body":{"text":' + vote + b'"text":"', "Hostile: a body member twice."),
        ("duplicate_key_escaped", E.DUPLICATE_KEY, "message", text_start,
         b'"body":{"t\\u0065xt":' + vote + b'"text":"', "Hostile: t\\u0065xt is text."),
        ("duplicate_key_header", E.DUPLICATE_KEY, "message", b'{"actor":null,',
         b'{"actor":"' + chris + b'","actor":null,', "Hostile: actor twice."),
        ("float", E.FLOAT, "circle", hours, hours + b".0", "Hostile: round_hours 48.0."),
        ("float_exponent", E.FLOAT, "circle", hours, b'"round_hours":4.8e1', "An exponent."),
        ("non_finite", E.NON_FINITE, "circle", hours, b'"round_hours":NaN', "round_hours NaN."),
        ("int_range", E.INT_RANGE, "message", seq, b'"seq":%d' % (MAX_INT + 2),
         "Hostile: seq 2^53+1, which an IEEE double reads as 2^53."),
    ):  # fmt: skip
        reading = readings[base] | ({"seq": MAX_INT + 1} if code is E.INT_RANGE else {})
        rule += " Signed over the lax reading." if rule.startswith("Hostile") else ""
        v.splice(name, code, rule, base, old, new, reading)

    non_ascii = v.fields("message")
    non_ascii["body"]["tëxt"] = "x"
    rule = "A body key with a non-ASCII character."
    v.add("non_ascii_key", E.NON_ASCII_KEY, rule, encode(v.forge(non_ascii)), "message")
    old, new = '"tëxt"'.encode(), b'"t\\u00ebxt"'
    rule = "A non-ASCII key, escaped."
    v.splice("non_ascii_key_escaped", E.NON_ASCII_KEY, rule, "message", old, new, non_ascii)


def build_envelope_rules(v: Invalid) -> None:
    """Step 3: the envelope's members, one rule each, everything else intact and signed."""
    w, f = v.w, v.field
    org1, org2 = w.nid["org1"], w.nid["org2"]
    base = w.envelopes["message"]
    v.add(
        "not_object",
        E.NOT_OBJECT,
        "An array holding an envelope.",
        b"[" + base.to_bytes() + b"]",
        "message",
    )
    v.add("not_object_string", E.NOT_OBJECT, "A JSON string.", b'"envelope"')
    f("missing_prev", E.MISSING_FIELD, "No prev (null must be written).", prev=DROP)
    f("missing_body_hash", E.MISSING_FIELD, "No body_hash.", body_hash=DROP, rehash=False)
    f("missing_sig", E.MISSING_FIELD, "No sig.", sig=DROP, resign=False)
    f("unknown_field_id", E.UNKNOWN_FIELD, "The id is never a member.", id=envelope_id(base))
    f("unknown_field", E.UNKNOWN_FIELD, "An extension member.", x_priority=1)
    f("v_string", E.BAD_FIELD, 'v is the string "1".', v="1")
    f("kind_not_string", E.BAD_FIELD, "kind is a number.", kind=7)
    f("sig_short", E.BAD_FIELD, "sig of 85 characters.", sig=base.sig[:-1], resign=False)
    noncanonical_sig = _noncanonical(base.sig)
    rule = "sig with non-zero unused bits: a second spelling."
    f("sig_noncanonical_base64", E.BAD_FIELD, rule, sig=noncanonical_sig, resign=False)
    f("body_null", E.BAD_FIELD, "body null: a retracted envelope omits it.", body=None)
    f("body_array", E.BAD_FIELD, "body is an array.", body=[])
    f("version_2", E.UNSUPPORTED_VERSION, "v 2 is not protocol v1.", v=2)
    f("version_0", E.UNSUPPORTED_VERSION, "v 0.", v=0)
    f("unknown_kind", E.UNKNOWN_KIND, "kind poll does not exist.", kind="poll")
    f("unknown_kind_case", E.UNKNOWN_KIND, "Kinds are case-sensitive.", kind="Message")

    key = org1.removeprefix("ed25519:")
    f("author_prefix", E.BAD_NODE_ID, "author prefixed ed448:.", author=f"ed448:{key}")
    f("author_padded", E.BAD_NODE_ID, "author with = padding.", author=org1 + "=")
    f("author_short", E.BAD_NODE_ID, "author of 31 bytes.", author=_nid(bytes(31)))
    mixed = crypto_core_ed25519_add(b64decode(key), ORDER_8_POINT)
    for name, code, author, rule in (
        ("author_noncanonical", E.BAD_NODE_ID, "ed25519:" + _noncanonical(key),
         "Hostile: the signer's own key with non-zero unused bits, a second id for one key."),
        ("author_not_string", E.BAD_NODE_ID, [], "author is an array."),
        ("author_identity_point", E.WEAK_KEY, _nid(IDENTITY_POINT), "The identity point."),
        ("author_order_8_point", E.WEAK_KEY, _nid(ORDER_8_POINT), "A point of order 8."),
        ("author_mixed_order", E.WEAK_KEY, _nid(mixed), "org1's key plus a point of order 8."),
        ("author_off_curve", E.WEAK_KEY, _nid(OFF_CURVE), "Not a curve point (y = 2)."),
    ):  # fmt: skip
        f(name, code, rule, author=author)

    f("actor_other_node", E.BAD_ACTOR, "Hostile: a member of another node.", actor=f"ana@{org2}")
    f("actor_uppercase", E.BAD_ACTOR, "Handles are lowercase.", actor=f"Chris@{org1}")
    f("actor_no_node", E.BAD_ACTOR, "A handle without its node.", actor="chris")
    f("actor_node_id", E.BAD_ACTOR, "The node itself is actor null.", actor=org1)
    f("actor_long_handle", E.BAD_ACTOR, "A 33-character handle.", actor=f"{'c' * 33}@{org1}")
    f("actor_not_string", E.BAD_ACTOR, "actor is a number.", actor=5)

    f("scope_no_home", E.BAD_SCOPE, "A circle without its home node.", scope="circle:general")
    f("scope_prefix", E.BAD_SCOPE, "An unknown prefix.", scope=f"group:general@{org1}")
    f("scope_direct_actor", E.BAD_SCOPE, "direct: names a node.", scope=f"direct:chris@{org1}")
    long_local = f"circle:{'a' * 65}@{org1}"
    f("scope_local_too_long", E.BAD_SCOPE, "A 65-character circle name.", scope=long_local)
    f("scope_trailing_newline", E.BAD_SCOPE, "A line feed after the scope.", scope=w.general + "\n")
    f("scope_not_string", E.BAD_SCOPE, "scope is an object.", scope={})

    f("seq_zero", E.BAD_SEQ, "seq 0.", seq=0)
    f("seq_string", E.BAD_SEQ, 'seq "13".', seq="13")
    f("seq_bool", E.BAD_SEQ, "seq true: a boolean is not an integer.", seq=True)
    f("seq_negative", E.BAD_SEQ, "seq -1.", seq=-1)
    f("prev_null_after_1", E.BAD_SEQ, "prev null at seq > 1.", prev=None)
    f("prev_at_seq_1", E.BAD_SEQ, "prev given at seq 1.", seq=1)
    f("prev_malformed", E.BAD_SEQ, "prev is not a sha256: id.", prev=str(base.prev)[:-1])
    f("prev_not_string", E.BAD_SEQ, "prev is an array.", prev=[base.prev])

    ref = envelope_id(w.envelopes["circle"])
    f("refs_not_list", E.BAD_REFS, "refs is a string.", refs=ref)
    f("refs_repeat", E.BAD_REFS, "The same id twice.", refs=[ref, ref])
    f("refs_malformed", E.BAD_REFS, "An id with another prefix.", refs=["sha512:" + ref[7:]])
    f(
        "refs_too_many",
        E.BAD_REFS,
        "257 refs; the limit is 256.",
        refs=[sha256_id(b"%d" % i) for i in range(257)],
    )
    f("refs_item_not_string", E.BAD_REFS, "A ref is an array.", refs=[[ref]])

    f("ts_offset", E.BAD_TIMESTAMP, "An offset, not Z.", ts="2026-11-22T10:30:00+00:00")
    f("ts_lowercase", E.BAD_TIMESTAMP, "Lowercase t and z.", ts="2026-11-22t10:30:00z")
    f("ts_no_day", E.BAD_TIMESTAMP, "February 30.", ts="2026-02-30T10:30:00Z")
    f("ts_leap_second", E.BAD_TIMESTAMP, "Second 60.", ts="2026-12-31T23:59:60Z")
    f("ts_seven_digits", E.BAD_TIMESTAMP, "7 fraction digits.", ts="2026-11-22T10:30:00.1234567Z")
    f("ts_no_seconds", E.BAD_TIMESTAMP, "No seconds.", ts="2026-11-22T10:30Z")
    f("ts_number", E.BAD_TIMESTAMP, "A number.", ts=1795000000)
    f("ts_trailing_newline", E.BAD_TIMESTAMP, "A line feed after Z.", ts="2026-11-22T10:30:00Z\n")
    f("ts_other_digits", E.BAD_TIMESTAMP, "Arabic-Indic digits.", ts="٢٠٢٦-11-22T10:30:00Z")

    hexdigest = hashlib.sha256(encode(base.body)).hexdigest()
    for name, rule, value in (
        ("body_hash_prefix", "Another algorithm's prefix.", "sha512:" + base.body_hash[7:]),
        ("body_hash_noncanonical", "Non-zero unused bits.", _noncanonical(base.body_hash)),
        ("body_hash_hex", "Hex instead of base64url.", "sha256:" + hexdigest),
        ("body_hash_not_string", "body_hash is an object.", {}),
    ):
        f(name, E.BAD_HASH, rule, body_hash=value, rehash=False)


def _nid(raw: bytes) -> str:
    return "ed25519:" + b64encode(raw)


def _noncanonical(b64: str) -> str:
    """The same bytes spelled with non-zero unused bits in the last character."""
    return b64[:-1] + B64_ALPHABET[B64_ALPHABET.index(b64[-1]) + 1]


def build_schema_rules(v: Invalid) -> None:
    """Step 3, the body: the schema of the kind."""
    agenda = v.fields("meeting.schedule")["body"]["agenda"]
    proposal = v.fields("stance.consent")["body"]["proposal"]
    attached = v.fields("membership.chosen_leader")["body"]["chosen_by"]
    silent = v.fields("home.vote")["body"]["home"]
    for name, code, base, changes, rule in (
        ("body_unknown_field", E.BODY_UNKNOWN_FIELD, "message", {"color": "red"},
         "An unknown member."),
        ("body_nested_unknown_field", E.BODY_UNKNOWN_FIELD, "meeting.schedule",
         {"agenda": [agenda[0], agenda[1] | {"owner": "chris"}]}, "Unknown in an agenda item."),
        ("body_missing_field", E.BODY_MISSING_FIELD, "proposal", {"text": DROP}, "No text."),
        ("body_missing_op", E.BODY_MISSING_FIELD, "selection.stance", {"op": DROP}, "No op."),
        ("body_unknown_op", E.BODY_INVALID, "selection.stance", {"op": "vote"}, "op vote."),
        ("body_wrong_type", E.BODY_INVALID, "message", {"text": 5}, "text is a number."),
        ("body_bool_for_int", E.BODY_INVALID, "circle", {"round_hours": True}, "A boolean."),
        ("body_below_minimum", E.BODY_INVALID, "circle", {"round_hours": 0}, "round_hours 0."),
        ("body_empty_name", E.BODY_INVALID, "circle", {"name": ""}, "An empty name."),
        ("body_name_201_code_points", E.BODY_INVALID, "circle", {"name": "🏠" * 201},
         "A name of 201 code points."),
        ("body_bad_enum", E.BODY_INVALID, "stance.consent", {"stance": "maybe"}, "stance maybe."),
        ("body_objection_without_reason", E.BODY_INVALID, "stance.object", {"reason": " "},
         "An objection needs a reason."),
        ("body_text_and_box", E.BODY_INVALID, "message", {"box": "AAAA"}, "Both text and box."),
        ("body_no_text_no_box", E.BODY_INVALID, "message", {"text": DROP}, "Neither text nor box."),
        ("body_bad_date", E.BODY_INVALID, "proposal.amendment", {"review_date": "2027-02-30"},
         "February 30."),
        ("body_version_without_root", E.BODY_INVALID, "proposal.amendment", {"root": None},
         "Version 2 without root."),
        ("body_node_with_roles", E.BODY_INVALID, "membership.node", {"roles": ["leader"]},
         "A node holding a role."),
        ("body_repeated_roles", E.BODY_INVALID, "membership.person",
         {"roles": ["delegate", "delegate"]}, "A role twice."),
        ("body_term_ends_before_start", E.BODY_INVALID, "selection.result",
         {"term_end": "2026-11-30"}, "term_end before term_start."),
        ("body_for_circle_not_leader", E.BODY_INVALID, "selection.open_for_circle",
         {"role": "facilitator"}, "for_circle with a role other than leader."),
        ("body_chosen_by_one_envelope", E.BODY_INVALID, "membership.chosen_leader",
         {"chosen_by": attached[:1]}, "chosen_by without the result."),
        ("body_chosen_by_removed", E.BODY_INVALID, "membership.chosen_leader",
         {"status": "removed", "roles": []}, "chosen_by on a removal."),
        ("body_bad_id", E.BODY_INVALID, "stance.consent", {"proposal": "sha1:abc"}, "sha1:abc."),
        ("body_unknown_campaign_object", E.BODY_INVALID, "campaign.campaign",
         {"object": "poster"}, "object poster."),
        ("body_demand_target_and_office_type", E.BODY_INVALID, "campaign.demand",
         {"target": proposal}, "A demand asked of a target and of an office type."),
        ("body_demand_of_nobody", E.BODY_INVALID, "campaign.demand", {"office_type": DROP},
         "A demand asked of neither a target nor an office type."),
        ("body_bad_ocd_division", E.BODY_INVALID, "campaign.target",
         {"ocd_division": "ocd-division/country:USA/state:mn"}, "A country code of 3 capitals."),
        ("body_bad_office_type", E.BODY_INVALID, "campaign.target", {"office_type": "Mayor"},
         "An office type with a capital."),
        ("body_unknown_channel", E.BODY_INVALID, "campaign.action", {"channel": "fax"},
         "channel fax."),
        ("body_url_2001_code_points", E.BODY_INVALID, "campaign.target",
         {"website": "https://" + "a" * 1993}, "A URL of 2001 code points."),
        ("body_weekday_7", E.BODY_INVALID, "campaign.plan", {"weekday": 7}, "weekday 7."),
        ("body_repeated_adopts", E.BODY_INVALID, "proposal.adopts",
         {"adopts": [proposal, proposal]}, "A version adopted twice."),
        ("body_time_other_digits", E.BODY_INVALID, "meeting.schedule",
         {"starts": "２０２６-12-03T18:30:00Z"}, "A time in full-width digits: digits are ASCII."),
        # Patterns match the whole string, as JSON Schema's do.
        ("body_id_trailing_newline", E.BODY_INVALID, "stance.consent",
         {"proposal": proposal + "\n"}, "An id followed by a line feed."),
        ("body_time_trailing_newline", E.BODY_INVALID, "phase",
         {"deadline": "2026-11-24T18:00:00Z\n"}, "A time followed by a line feed."),
        ("body_vote_for_the_silent_home", E.BODY_INVALID, "home.vote", {"to": silent},
         "A vote naming the silent home as the new one."),
        ("body_vote_position_0", E.BODY_INVALID, "home.vote", {"pos": 0}, "pos 0."),
        ("body_vote_without_position_id", E.BODY_MISSING_FIELD, "home.vote",
         {"pos_id": DROP}, "No pos_id."),
    ):  # fmt: skip
        body = v.fields(base)["body"] | changes
        v.field(name, code, rule, base=base, body={k: x for k, x in body.items() if x is not DROP})


def build_governance_rules(v: Invalid) -> None:
    """Step 3 for the role register, structure changes, the round controls, the records,
    meetings' corrections, actions and backlog, public campaigns and articles."""
    w = v.w
    body = {name: v.fields(name)["body"] for name in w.envelopes if w.envelopes[name].body}
    node, ben, proposal = w.nid["org3"], w.actor("ben", "org3"), body["phase.test"]["proposal"]
    roles, structure = body["circle.roles"]["roles"], body["proposal.structure"]["structure"]
    member, charter = structure[0], structure[2]
    items, action = body["meeting.correct"]["items"], body["meeting.correct"]["items"][0]
    test = body["phase.test"]["test"]
    many = [f"Guest {i}" for i in range(101)]
    for name, code, base, changes, rule in (
        ("body_quorum_101", E.BODY_INVALID, "circle.roles", {"quorum": 101}, "quorum 101."),
        ("body_repeated_role_names", E.BODY_INVALID, "circle.roles",
         {"roles": [roles[0], roles[0] | {"holders": 2}]}, "Two roles of one name."),
        ("body_role_unknown_field", E.BODY_UNKNOWN_FIELD, "circle.roles",
         {"roles": [roles[0] | {"pay": 100}]}, "An unknown member of a role."),
        ("body_role_no_holders", E.BODY_INVALID, "circle.roles",
         {"roles": [roles[0] | {"holders": 0}]}, "A role nobody may hold."),
        ("body_role_without_name", E.BODY_MISSING_FIELD, "circle.roles",
         {"roles": [{"holders": 2}]}, "A role without a name."),
        ("body_empty_role", E.BODY_INVALID, "membership.declared_role", {"roles": [""]},
         "A role with an empty name."),
        ("body_structure_unknown_op", E.BODY_INVALID, "proposal.structure",
         {"structure": [member | {"op": "budget"}]}, "A structure change of op budget."),
        ("body_structure_missing_op", E.BODY_MISSING_FIELD, "proposal.structure",
         {"structure": [{k: x for k, x in member.items() if k != "op"}]},
         "A structure change without op."),
        ("body_structure_node_with_roles", E.BODY_INVALID, "proposal.structure",
         {"structure": [{"op": "member", "member": node, "status": "active",
                         "roles": ["delegate"]}]}, "A node given a role by a decision."),
        ("body_structure_removed_with_roles", E.BODY_INVALID, "proposal.structure",
         {"structure": [member | {"status": "removed"}]}, "A removed member keeping a role."),
        ("body_structure_charter_without_aim", E.BODY_MISSING_FIELD, "proposal.structure",
         {"structure": [{"op": "charter", "charter": {
             k: x for k, x in charter["charter"].items() if k != "aim"}}]},
         "A charter change without the charter's aim."),
        ("body_structure_51_changes", E.BODY_INVALID, "proposal.structure",
         {"structure": [member] * 51}, "51 changes in one proposal."),
        ("body_repeated_coauthors", E.BODY_INVALID, "proposal.structure",
         {"coauthors": [ben, ben]}, "A co-author twice."),
        ("body_coauthor_a_node", E.BODY_INVALID, "proposal.structure", {"coauthors": [node]},
         "A node as a co-author."),
        ("body_replaces_no_id", E.BODY_INVALID, "proposal.structure", {"replaces": "decision"},
         "replaces names no envelope id."),
        ("body_test_with_deadline", E.BODY_INVALID, "phase.test",
         {"deadline": "2026-12-12T18:00:00Z"}, "A test of an objection that extends the round."),
        ("body_test_outside_consent", E.BODY_INVALID, "phase.test", {"phase": "integrating"},
         "A test of an objection with phase integrating."),
        ("body_test_without_reason", E.BODY_INVALID, "phase.test",
         {"test": test | {"reason": "\t"}}, "A test of an objection with a blank reason."),
        ("body_test_unknown_field", E.BODY_UNKNOWN_FIELD, "phase.test",
         {"test": test | {"votes": 3}}, "An unknown member of a test."),
        ("body_test_without_valid", E.BODY_MISSING_FIELD, "phase.test",
         {"test": {k: x for k, x in test.items() if k != "valid"}}, "A test without valid."),
        ("body_stand_aside_without_reason", E.BODY_INVALID, "stance.stand_aside",
         {"reason": ""}, "Standing aside with no reason."),
        ("body_recorded_without_meeting", E.BODY_INVALID, "stance.recorded", {"meeting": None},
         "A recorded stance naming no meeting."),
        ("body_recorded_for_a_node", E.BODY_INVALID, "stance.recorded", {"member": node},
         "A recorded stance of a node."),
        ("body_repeated_tests", E.BODY_INVALID, "decision.records",
         {"tests": [proposal, proposal]}, "A test counted twice."),
        ("body_statement_not_text", E.BODY_INVALID, "decision.records", {"statement": 1},
         "A statement that is a number."),
        ("body_replaces_a_node", E.BODY_INVALID, "selection.open.declared_role",
         {"replaces": node}, "An election replacing a node."),
        ("body_empty_role_elected", E.BODY_INVALID, "selection.open.declared_role",
         {"role": ""}, "An election of a role with an empty name."),
        ("body_repeated_guests", E.BODY_INVALID, "meeting.minutes.approves",
         {"guests": ["Rosa", "Rosa"]}, "A guest twice."),
        ("body_101_guests", E.BODY_INVALID, "meeting.minutes.approves", {"guests": many},
         "101 guests."),
        ("body_approves_no_id", E.BODY_INVALID, "meeting.minutes.approves",
         {"approves": "last month"}, "approves names no envelope id."),
        ("body_action_unknown_field", E.BODY_UNKNOWN_FIELD, "meeting.correct",
         {"items": [action | {"actions": [action["actions"][0] | {"paid": True}]}]},
         "An unknown member of an action item."),
        ("body_action_without_owner", E.BODY_MISSING_FIELD, "meeting.correct",
         {"items": [action | {"actions": [{"what": "Send it"}]}]}, "An action nobody takes."),
        ("body_51_actions", E.BODY_INVALID, "meeting.correct",
         {"items": [action | {"actions": action["actions"] * 51}]}, "51 actions on one item."),
        ("body_actions_in_agenda", E.BODY_INVALID, "meeting.schedule.next",
         {"agenda": [*body["meeting.schedule.next"]["agenda"], *items]},
         "An action item in a meeting's agenda."),
        ("body_correct_without_replaces", E.BODY_MISSING_FIELD, "meeting.correct",
         {"replaces": DROP}, "A correction naming no version it corrects."),
        ("body_action_0", E.BODY_INVALID, "meeting.done", {"action": 0}, "Action number 0."),
        ("body_done_without_minutes", E.BODY_MISSING_FIELD, "meeting.done", {"minutes": DROP},
         "A done mark naming no minutes."),
        ("body_backlog_without_title", E.BODY_MISSING_FIELD, "meeting.backlog",
         {"title": DROP}, "A backlog item without a title."),
        ("body_backlog_close_without_item", E.BODY_MISSING_FIELD, "meeting.backlog_close",
         {"item": DROP}, "Closing no backlog item."),
        ("body_public_not_boolean", E.BODY_INVALID, "campaign.campaign.public",
         {"public": "yes"}, "public is a string."),
        ("body_bad_slug", E.BODY_INVALID, "campaign.article", {"slug": "Why-Cameras"},
         "A slug with capitals."),
        ("body_article_50001", E.BODY_INVALID, "campaign.article", {"body": "a" * 50001},
         "An article of 50001 code points."),
        ("body_article_in_a_campaign", E.BODY_UNKNOWN_FIELD, "campaign.article",
         {"campaign": proposal}, "An article belongs to no campaign."),
    ):  # fmt: skip
        changed = body[base] | changes
        v.field(
            name, code, rule, base=base, body={k: x for k, x in changed.items() if x is not DROP}
        )


def build_sig_rules(v: Invalid) -> None:
    """Step 4: body_hash, then the signature, verified strictly (libsodium)."""
    key1, obj = v.w.keys["org1"], v.fields("message")
    whole = encode({k: x for k, x in obj.items() if k != "sig"})
    pretty = json.dumps(json.loads(header_of(obj)), indent=1).encode()
    pretty_body = json.dumps(obj["body"], indent=1).encode()
    v.field("signed_by_other_node", E.BAD_SIGNATURE, "Hostile: author org1, signed by org2.",
            key=v.w.keys["org2"])  # fmt: skip
    # Each member below is set after signing; nothing is re-signed.
    for name, code, changes, rule in (
        ("body_changed", E.BODY_HASH_MISMATCH, {"body": {"text": "Vote no."}},
         "The body changed after signing."),
        ("body_hash_over_noncanonical", E.BODY_HASH_MISMATCH,
         {"body_hash": sha256_id(pretty_body)}, "body_hash over pretty-printed bytes."),
        ("header_changed", E.BAD_SIGNATURE, {"ts": "2026-11-22T09:00:00Z"}, "ts changed."),
        ("sig_bit_flipped", E.BAD_SIGNATURE, {"sig": _flip(obj["sig"])}, "One bit flipped."),
        ("sig_over_whole_envelope", E.BAD_SIGNATURE,
         {"sig": b64encode(key1.sign(whole).signature)}, "sig over the envelope with its body."),
        ("sig_over_noncanonical", E.BAD_SIGNATURE,
         {"sig": b64encode(key1.sign(pretty).signature)}, "sig over pretty-printed bytes."),
        ("sig_s_not_reduced", E.BAD_SIGNATURE, {"sig": _s_plus_l(obj["sig"])},
         "S + L for a valid S: libsodium requires S < L."),
        ("sig_small_order_r", E.BAD_SIGNATURE, {"sig": _small_order_r(obj, key1)},
         "Hostile: R is the identity point and S = k·a: OpenSSL accepts it, libsodium "
         "refuses a small-order R."),
    ):  # fmt: skip
        v.field(name, code, rule, resign=False, **changes)


def _flip(sig: str) -> str:
    raw = bytearray(b64decode(sig))
    raw[40] ^= 0x01
    return b64encode(bytes(raw))


def _s_plus_l(sig: str) -> str:
    raw = b64decode(sig)
    s = int.from_bytes(raw[32:], "little") + L
    return b64encode(raw[:32] + s.to_bytes(32, "little"))


def _small_order_r(obj: Json, key: SigningKey) -> str:
    """A signature with R = identity that meets [S]B = R + [k]A: S = k·a, a the secret scalar."""
    digest = bytearray(hashlib.sha512(bytes(key)).digest()[:32])
    digest[0] &= 248
    digest[31] = (digest[31] & 127) | 64
    a = int.from_bytes(digest, "little")
    public = bytes(key.verify_key)
    k = int.from_bytes(hashlib.sha512(IDENTITY_POINT + public + header_of(obj)).digest(), "little")
    return b64encode(IDENTITY_POINT + (k * a % L).to_bytes(32, "little"))


# --- feeds ---------------------------------------------------------------------------------------


def build_feeds(w: World) -> Json:
    """org3's feed in the general circle: three chained envelopes, and what goes wrong."""
    names = ["message.question", "stance.object", "stance.concern"]
    e1, e2, e3 = (w.envelopes[n] for n in names)
    one, two, three = (text(e.to_bytes()) for e in (e1, e2, e3))
    fork = w.draft(
        "org3",
        "stance",
        {"proposal": e2.refs[0], "stance": "consent"},
        actor=e2.actor,
        refs=e2.refs,
        seq=2,
        prev=envelope_id(e1),
    )
    stray = w.draft(
        "org3", "message", {"text": "Out of order."}, seq=2, prev=sha256_id(b"not in this feed")
    )
    four = w.draft("org3", "message", {"text": "Still here?"}, seq=4, prev=envelope_id(e3))
    forked, bad, fourth = (text(e.to_bytes()) for e in (fork, stray, four))
    other = text(w.envelopes["stance.consent"].to_bytes())  # org2's feed, same scope, seq 3

    def chain(name: str, envelopes: list[str], error: E | None = None) -> Json:
        return {"name": name, "envelopes": envelopes, "error": error}

    def steps(*pairs: tuple[str, str]) -> list[Json]:
        return [{"envelope": e, ("error" if "." in o else "placement"): o} for e, o in pairs]

    return {
        "feed": {"author": e1.author, "scope": e1.scope, "envelopes": names},
        "chains": [
            chain("chained", [one, two, three]),
            chain("chained_with_retracted", [one, text(e2.without_body().to_bytes()), three]),
            chain("gap", [one, three], E.FEED_GAP),
            chain("prev_not_previous", [one, bad], E.FEED_BAD_PREV),
            chain("two_feeds", [two, other], E.FEED_BAD_PREV),
        ],
        "receive": [
            {
                "name": "in_order",
                "steps": steps((one, "append"), (two, "append"), (three, "append")),
            },
            {
                "name": "gap_then_fill",
                "steps": steps(
                    (one, "append"),
                    (three, "gap"),
                    (two, "append"),
                    (three, "append"),
                    (two, "duplicate"),
                ),
            },
            {"name": "starts_ahead", "steps": steps((two, "gap"), (one, "append"))},
            {
                "name": "bad_prev",
                "steps": steps((one, "append"), (bad, E.FEED_BAD_PREV), (two, "append")),
            },
            {
                "name": "equivocation_freezes",
                "steps": steps(
                    (one, "append"),
                    (two, "append"),
                    (forked, "equivocation"),
                    (three, E.FEED_FROZEN),
                    (fourth, E.FEED_FROZEN),
                ),
            },
        ],
    }


# --- canonical form ----------------------------------------------------------------------------


def build_canonical(w: World) -> list[Json]:
    """JSON documents (not envelopes) in and out of the subset, with their canonical bytes."""
    message = w.envelopes["message"]
    pretty = json.dumps(dict(reversed(message.to_json().items())), indent=2).encode()
    nest, deep = MAX_DEPTH, MAX_DEPTH + 1
    cases: list[tuple[str, bytes, str | E]] = [
        (
            "key_order",
            b'{"b":1,"a":2,"B":3,"_":4,"1":5,"":6}',
            '{"":6,"1":5,"B":3,"_":4,"a":2,"b":1}',
        ),
        ("whitespace", b' { "a" : [ 1 , 2 ] ,\n\t"b" : { } } \r\n', '{"a":[1,2],"b":{}}'),
        ("literals", b"[true,false,null,0,-0,-1]", "[true,false,null,0,0,-1]"),
        (
            "integer_bounds",
            b"[9007199254740991,-9007199254740991]",
            "[9007199254740991,-9007199254740991]",
        ),
        (
            "escapes",
            b'["\\u0000\\u001f\\b\\t\\n\\f\\r\\"\\\\\\/\\u0041\\u00e9\\u2028\\ud83d\\ude00"]',
            '["\\u0000\\u001f\\b\\t\\n\\f\\r\\"\\\\/Aé\u2028😀"]',
        ),
        ("raw_utf8", '["é€😀\x7f"]'.encode(), '["é€😀\x7f"]'),
        ("scalar", b' "x" ', '"x"'),
        ("depth_limit", b"[" * nest + b"]" * nest, "[" * nest + "]" * nest),
        ("envelope_pretty_printed", pretty, text(message.to_bytes())),
        ("too_deep", b"[" * deep + b"]" * deep, E.TOO_DEEP),
        ("int_above_range", b"[9007199254740992]", E.INT_RANGE),
        ("int_below_range", b"[-9007199254740992]", E.INT_RANGE),
        ("float_zero_fraction", b"[1.0]", E.FLOAT),
        ("float_exponent", b"[1E2]", E.FLOAT),
        ("float_negative_zero", b"[-0.0]", E.FLOAT),
        ("infinity", b"[-Infinity]", E.NON_FINITE),
        ("duplicate_key", b'{"a":1,"a":1}', E.DUPLICATE_KEY),
        ("nested_duplicate_key", b'[{"a":{"b":1,"b":2}}]', E.DUPLICATE_KEY),
        ("non_ascii_key", '{"é":1}'.encode(), E.NON_ASCII_KEY),
        ("lone_low_surrogate", b'["\\udc00"]', E.LONE_SURROGATE),
        ("invalid_utf8", b'["\xfe"]', E.INVALID_UTF8),
        ("leading_zero", b"[01]", E.SYNTAX),
        ("single_quotes", b"['a']", E.SYNTAX),
        ("empty", b"", E.SYNTAX),
    ]
    return [
        with_input({"name": name}, data)
        | ({"error": expect} if isinstance(expect, E) else {"canonical": expect})
        for name, data, expect in cases
    ]


# --- federation requests (PROTOCOL.md §12) -------------------------------------------------

REQUEST_TS = int(START.timestamp())  # 2026-11-22T10:00:00Z as Unix seconds


def request_nonce(i: int) -> str:
    """A fixed nonce (16 bytes of ``i``); a real sender draws 16 random bytes."""
    return b64encode(bytes([i]) * 16)


def signed_request(
    w: World,
    name: str,
    note: str,
    sender: str,
    receiver: str,
    method: str,
    path: str,
    body: bytes,
    nonce: str,
) -> Json:
    """A request ``sender`` signs for ``receiver``, with every intermediate value."""
    digest = content_digest(body)
    string = signing_string(method, path, w.nid[receiver], w.nid[sender], REQUEST_TS, nonce, digest)
    sig = b64encode(w.keys[sender].sign(string).signature)
    return {
        "name": name,
        "description": note,
        "sender": sender,
        "receiver": receiver,
        "method": method,
        "path": path,
        "body": text(body),
        "timestamp": REQUEST_TS,
        "nonce": nonce,
        "content_digest": digest,
        "signing_string": text(string),
        "signature": sig,
        "headers": {
            SENDER: w.nid[sender],
            DESTINATION: w.nid[receiver],
            TIMESTAMP: str(REQUEST_TS),
            NONCE: nonce,
            DIGEST: digest,
            SIGNATURE: sig,
        },
    }


def signed_response(w: World, name: str, note: str, request: Json, status: int, doc: Json) -> Json:
    body = json.dumps(doc, separators=(",", ":")).encode()
    digest = content_digest(body)
    string = response_string(request["nonce"], status, digest)
    signer = request["receiver"]
    sig = b64encode(w.keys[signer].sign(string).signature)
    return {
        "name": name,
        "description": note,
        "request": request["name"],
        "signer": signer,
        "nonce": request["nonce"],
        "status": status,
        "body": text(body),
        "content_digest": digest,
        "signing_string": text(string),
        "signature": sig,
        "headers": {DIGEST: digest, SIGNATURE: sig, SENDER: w.nid[signer]},
    }


def refused(
    base: Json, name: str, rule: str, error: E, added: Json | None = None, **changes: Any
) -> Json:
    """``base`` as some receiver gets it, broken in one way; ``now`` and ``receiver`` say
    when and where it arrives. ``added`` are headers sent besides the base's."""
    vector = {
        "name": name,
        "rule": rule,
        "base": base["name"],
        "receiver": base["receiver"],
        "now": base["timestamp"],
        "method": base["method"],
        "path": base["path"],
        "body": base["body"],
        "headers": dict(base["headers"]),
        "error": error.value,
    }
    for key, value in changes.items():
        if key in vector["headers"]:
            if value is DROP:
                del vector["headers"][key]
            else:
                vector["headers"][key] = value
        else:
            vector[key] = value
    vector["headers"].update(added or {})
    return vector


def padded(request: Json, name: str, note: str) -> Json:
    """``request`` with spaces and tabs around every header value, as HTTP allows."""
    headers = {k: f" \t{v} " for k, v in request["headers"].items()}
    return {**request, "name": name, "description": note, "headers": headers}


def with_body(vector: Json, body: bytes) -> Json:
    try:
        vector["body"] = body.decode("utf-8")
    except UnicodeDecodeError:
        vector["body_b64"] = base64.b64encode(body).decode("ascii")
    return vector


def build_bodies(element: bytes) -> list[Json]:
    """Inbox bodies (§12.4) around one valid envelope's bytes and single-rule breaks of
    it: the whole request's error, or each element's code at §6 steps 1–4 (null: it
    passes them)."""
    stance = b'"stance":"consent"'

    def inner(new: bytes) -> bytes:
        return swap(element, stance, new)

    def nested(depth: int) -> bytes:  # the envelope and its body count 2
        return inner(b'"x":' + b"[" * (depth - 2) + b"]" * (depth - 2) + b"," + stance)

    def inbox(*elements: bytes, rest: bytes = b"") -> bytes:
        return b'{"envelopes":[' + b",".join(elements) + b"]" + rest + b"}"

    long_seq = element.replace(b'"seq":3,', b'"seq":' + b"9" * 5000 + b",", 1)
    mark = b'{"pos":7,"at":"2026-11-22T10:00:00Z"}'
    long_mark = mark.replace(b"7", b"9" * 5000)
    cases: list[tuple[str, str, bytes, E | list[E | None]]] = [
        ("valid", "One valid envelope.", inbox(element), [None]),
        ("valid_spaced", "Whitespace around and between the elements is not theirs.",
         b' { "envelopes" : [ ' + element + b" ,\n\t" + element + b" ] } ", [None, None]),
        ("lone_surrogate", "An unpaired surrogate escape is JSON text: its element's fault.",
         inbox(inner(b'"stance":"\\ud800"'), element), [E.LONE_SURROGATE, None]),
        ("lone_surrogate_with_order", "The same, with positions given.",
         inbox(element, inner(b'"stance":"\\udc00"'), rest=b',"order":[null,null]'),
         [None, E.LONE_SURROGATE]),
        ("too_deep_33", "An element nested 33 deep.", inbox(nested(33), element),
         [E.TOO_DEEP, None]),
        ("too_deep_126", "An element nested 126 deep: the body 128, which a receiver follows.",
         inbox(nested(126)), [E.TOO_DEEP]),
        ("int_range_long", "An element's seq of 5000 digits.", inbox(long_seq, element),
         [E.INT_RANGE, None]),
        ("float", "A float in an element.", inbox(element.replace(b'"seq":3,', b'"seq":3.0,')),
         [E.FLOAT]),
        ("duplicate_key", "A key twice in an element.",
         inbox(inner(stance + b"," + stance)), [E.DUPLICATE_KEY]),
        ("nan", "NaN is not JSON: the whole request.", inbox(inner(b'"stance":NaN'), element),
         E.REQUEST_MALFORMED),
        ("infinity", "Neither is -Infinity.", inbox(inner(b'"stance":-Infinity')),
         E.REQUEST_MALFORMED),
        ("invalid_utf8", "A 0xFF byte inside an element: the body is not UTF-8.",
         inbox(element, inner(b'"stance":"\xff"')), E.REQUEST_MALFORMED),
        ("raw_control_character", "A raw line feed in a string of an element.",
         inbox(inner(b'"stance":"con\nsent"')), E.REQUEST_MALFORMED),
        ("trailing_comma", "A trailing comma inside an element.", inbox(inner(stance + b",")),
         E.REQUEST_MALFORMED),
        ("order_pos_long", "A position of 5000 digits.",
         inbox(element, rest=b',"order":[' + long_mark + b"]"),
         E.INT_RANGE),
        ("order_pos_zero", "A position below 1.",
         inbox(element, rest=b',"order":[' + mark.replace(b"7", b"0") + b"]"),
         E.REQUEST_MALFORMED),
        ("order_length", "One position for two envelopes.",
         inbox(element, element, rest=b',"order":[' + mark + b"]"), E.REQUEST_MALFORMED),
        ("unknown_member", "A member the body does not define.",
         inbox(element, rest=b',"extra":1'), E.REQUEST_MALFORMED),
    ]  # fmt: skip
    out = []
    for name, rule, body, expect in cases:
        vector: Json = {"name": name, "rule": rule}
        with_body(vector, body)
        if isinstance(expect, list):
            vector["results"] = [None if c is None else c.value for c in expect]
        else:
            vector["error"] = expect.value
        out.append(vector)
    return out


def build_requests() -> Json:
    w = World()
    build_story(w)
    scope = w.general
    stance = w.envelopes["stance.consent"]
    token = b64encode(bytes([7]) * 32)
    link_body = encode({"name": "Org 2", "token": token, "url": "https://org2.example"})
    inbox_body = b'{"envelopes":[' + stance.to_bytes() + b"]}"
    feed_query = urlencode({"author": w.nid["org2"], "after": 2, "limit": 500})
    link, inbox, heads, feed, unlink, node = (
        signed_request(
            w,
            "link",
            "org2 links with org1 using org1's invite token.",
            "org2",
            "org1",
            "POST",
            "/fed/v1/link",
            link_body,
            request_nonce(1),
        ),
        signed_request(
            w,
            "inbox",
            "org2 delivers its consent (§5.3) to org1, the home node.",
            "org2",
            "org1",
            "POST",
            "/fed/v1/inbox",
            inbox_body,
            request_nonce(2),
        ),
        signed_request(
            w,
            "heads",
            "org3 asks org1 for the heads of the circle (empty body).",
            "org3",
            "org1",
            "GET",
            scope_path(scope) + "/heads",
            b"",
            request_nonce(3),
        ),
        signed_request(
            w,
            "feed",
            "org3 pulls org2's feed after seq 2; the query is signed exactly as sent.",
            "org3",
            "org1",
            "GET",
            f"{scope_path(scope)}/feed?{feed_query}",
            b"",
            request_nonce(4),
        ),
        signed_request(
            w,
            "unlink",
            "org3 unlinks from org1.",
            "org3",
            "org1",
            "POST",
            "/fed/v1/unlink",
            b"{}",
            request_nonce(5),
        ),
        signed_request(
            w,
            "node",
            "org1, invited by org2's link, checks that org2 answers at the URL it gave.",
            "org1",
            "org2",
            "GET",
            "/fed/v1/node",
            b"",
            request_nonce(6),
        ),
    )
    stance_id = envelope_id(stance)
    responses = [
        signed_response(
            w,
            "inbox.accepted",
            "org1 accepts the delivered envelope.",
            inbox,
            200,
            {"results": [{"status": "accepted", "id": stance_id}]},
        ),
        signed_response(
            w,
            "unlink.not_linked",
            "An error answer is signed too.",
            unlink,
            403,
            {"error": {"code": "auth.not_linked", "message": "not linked"}},
        ),
        signed_response(
            w,
            "node.identity",
            "org2 answers as itself: its identity document, signed.",
            node,
            200,
            {
                "node_id": w.nid["org2"],
                "name": "Org 2",
                "url": "https://org2.example",
                "protocol": [1],
            },
        ),
    ]
    padded_inbox = padded(
        signed_request(
            w, "", "", "org2", "org1", "POST", "/fed/v1/inbox", inbox_body, request_nonce(7)
        ),
        "padded_headers",
        "The inbox request signed afresh and sent with spaces and tabs around every header"
        " value: HTTP takes the values without them, and so does the signing string.",
    )
    other = signed_request(
        w, "other", "", "org2", "org3", "POST", "/fed/v1/inbox", inbox_body, request_nonce(2)
    )
    forged = signed_request(
        w, "forged", "", "org3", "org1", "POST", "/fed/v1/inbox", inbox_body, request_nonce(2)
    )
    invalid = [
        refused(
            inbox,
            "bad_signature",
            "Signed by org3's key, sent as org2.",
            E.AUTH_BAD_SIGNATURE,
            **{SIGNATURE: forged["signature"]},
        ),
        refused(
            inbox,
            "wrong_destination",
            "Signed for org3, delivered to org1.",
            E.AUTH_WRONG_DESTINATION,
            **{DESTINATION: w.nid["org3"], SIGNATURE: other["signature"]},
        ),
        refused(
            inbox,
            "digest_mismatch",
            "The body was changed after signing.",
            E.AUTH_DIGEST_MISMATCH,
            body=inbox["body"].replace("consent", "object", 1),
        ),
        refused(
            inbox,
            "path_changed",
            "Signed for /fed/v1/inbox, received at another path.",
            E.AUTH_BAD_SIGNATURE,
            path="/fed/v1/inbox?x=1",
        ),
        refused(
            inbox,
            "method_changed",
            "Signed as POST, received as PUT.",
            E.AUTH_BAD_SIGNATURE,
            method="PUT",
        ),
        refused(
            inbox,
            "stale_late",
            f"Received {MAX_SKEW + 1} s after it was signed.",
            E.AUTH_STALE,
            now=REQUEST_TS + MAX_SKEW + 1,
        ),
        refused(
            inbox,
            "stale_early",
            f"Received {MAX_SKEW + 1} s before it was signed.",
            E.AUTH_STALE,
            now=REQUEST_TS - MAX_SKEW - 1,
        ),
        refused(
            feed,
            "query_reencoded",
            "The feed request sent with ':' where it signed '%3A': the same parameters,"
            " another request target.",
            E.AUTH_BAD_SIGNATURE,
            path=feed["path"].replace("%3A", ":"),
        ),
        refused(
            feed,
            "query_lowercase_escape",
            "The feed request sent with '%3a' where it signed '%3A'.",
            E.AUTH_BAD_SIGNATURE,
            path=feed["path"].replace("%3A", "%3a"),
        ),
        refused(
            inbox,
            "compressed_body",
            "Sent with Content-Encoding: gzip (whatever the body): refused before anything"
            " else, the body unread.",
            E.REQUEST_ENCODING_UNSUPPORTED,
            {"Content-Encoding": "gzip"},
        ),
        refused(
            inbox,
            "transfer_coded_body",
            "Sent with Transfer-Encoding: gzip, chunked: a coding besides chunked is a"
            " compressed body too.",
            E.REQUEST_ENCODING_UNSUPPORTED,
            {"Transfer-Encoding": "gzip, chunked"},
        ),
        refused(inbox, "missing_nonce", "No NST-Nonce header.", E.AUTH_MISSING, **{NONCE: DROP}),
        refused(
            inbox,
            "short_nonce",
            "A nonce of 15 bytes.",
            E.AUTH_MISSING,
            **{NONCE: b64encode(bytes([2]) * 15)},
        ),
    ]
    invite = Invite(w.nid["org1"], "https://org1.example", token)
    return {
        "description": "NST federation request signing vectors; see tests/vectors/README.md.",
        "protocol_version": 1,
        "max_skew": MAX_SKEW,
        "keys": [
            {"name": n, "seed_hex": bytes(w.keys[n]).hex(), "node_id": w.nid[n]}
            for n in ("org1", "org2", "org3")
        ],
        "requests": [link, inbox, heads, feed, unlink, node, padded_inbox],
        "responses": responses,
        "invalid": invalid,
        "bodies": build_bodies(stance.to_bytes()),
        "invite": {
            "description": "org1's invite for the link request above.",
            "node": invite.node,
            "url": invite.url,
            "token": token,
            "payload": text(encode({"node": invite.node, "token": token, "url": invite.url})),
            "invite": str(invite),
            "token_hash": invite.token_hash,
        },
    }


# --- assembly ----------------------------------------------------------------------------------


def build_document() -> Json:
    w = World()
    build_story(w)
    if set(SCHEMAS) - {e["kind"] for e in w.valid}:
        raise AssertionError("every kind needs a valid vector")
    invalid = Invalid(w)
    for rules in (
        build_json_rules,
        build_envelope_rules,
        build_schema_rules,
        build_governance_rules,
        build_sig_rules,
    ):
        rules(invalid)
    names = [v["name"] for v in invalid.out + w.valid]
    if len(set(names)) != len(names):
        raise AssertionError("vector names must be unique")
    return {
        "description": "NST protocol v1 conformance vectors; see tests/vectors/README.md.",
        "protocol_version": 1,
        "keys": [
            {
                "name": name,
                "seed_hex": bytes(key).hex(),
                "public_key_hex": bytes(key.verify_key).hex(),
                "node_id": w.nid[name],
            }
            for name, key in w.keys.items()
        ],
        "scope": w.general,
        "valid": w.valid,
        "invalid": invalid.out,
        "feeds": build_feeds(w),
        "canonical": build_canonical(w),
    }


def dump(doc: Any) -> bytes:
    return (json.dumps(doc, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def build() -> dict[str, bytes]:
    """Every generated file, by path relative to the repository root."""
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "NST protocol v1 envelope bodies, by kind",
        **json_schemas(),
    }
    return {
        ENVELOPES: dump(build_document()),
        REQUESTS: dump(build_requests()),
        SCHEMA: dump(schema),
    }


def main() -> None:
    for rel, data in build().items():
        path = ROOT / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        print(f"wrote {rel} ({len(data)} bytes)")


if __name__ == "__main__":
    main()
