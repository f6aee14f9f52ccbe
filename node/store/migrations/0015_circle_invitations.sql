-- A node becomes a member node of a federated circle by its own acceptance (PROTOCOL.md
-- §13.10). In circle_members, a node named by the home is 'invited' until then, and
-- `invitation` is the home's membership envelope that invited it.
ALTER TABLE circle_members ADD COLUMN invitation TEXT;

-- Invitations this node received to circles of other nodes that it has not joined: kept
-- aside, outside the event log, until its admin accepts (then it pulls the circle from
-- its home) or declines. Nothing of such a circle enters the log before that.
CREATE TABLE circle_invitations (
    scope          TEXT    PRIMARY KEY,
    home           TEXT    NOT NULL,
    name           TEXT,                       -- from the home's latest charter
    aim            TEXT,
    charter_seq    INTEGER,                    -- that charter's seq in the home's feed
    invitation     TEXT,                       -- the home's membership naming this node
    invitation_seq INTEGER,
    status         TEXT    NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'accepted', 'declined', 'withdrawn', 'left')),
    received_at    TEXT    NOT NULL,
    decided_at     TEXT,
    decided_by     TEXT
);

-- Node memberships made before a node had to accept: the home's membership envelopes that
-- made a node active then. They stay active when the projections are rebuilt.
CREATE TABLE memberships_before_acceptance (
    envelope_id    TEXT    PRIMARY KEY
);
INSERT INTO memberships_before_acceptance (envelope_id)
    SELECT envelope_id FROM circle_members
    WHERE member LIKE 'ed25519:%' AND status = 'active';
