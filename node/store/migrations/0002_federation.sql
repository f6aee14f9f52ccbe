-- Linked nodes, invites, allow/deny policy and the per-peer outbox.

CREATE TABLE peers (
    node_id      TEXT    PRIMARY KEY,
    url          TEXT    NOT NULL,
    name         TEXT    NOT NULL DEFAULT '',
    state        TEXT    NOT NULL CHECK (state IN ('linked', 'unlinked')),
    linked_at    TEXT    NOT NULL,
    changed_at   TEXT    NOT NULL,
    last_contact TEXT,                          -- last exchange that worked, either way
    failures     INTEGER NOT NULL DEFAULT 0,    -- consecutive failed deliveries to it
    next_attempt TEXT,                          -- no delivery before this time
    last_error   TEXT
);

CREATE TABLE invites (
    token_hash   TEXT    PRIMARY KEY,           -- sha256: of the token; the token is not kept
    note         TEXT    NOT NULL DEFAULT '',
    created_at   TEXT    NOT NULL,
    expires_at   TEXT    NOT NULL,
    used_by      TEXT,
    used_at      TEXT,
    revoked      INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE peer_policy (
    node_id      TEXT    PRIMARY KEY,
    policy       TEXT    NOT NULL CHECK (policy IN ('allow', 'deny'))
);

CREATE TABLE outbox (
    rowid        INTEGER PRIMARY KEY,
    peer         TEXT    NOT NULL,
    envelope_id  TEXT    NOT NULL REFERENCES envelopes (id),
    UNIQUE (peer, envelope_id)
);
CREATE INDEX outbox_peer ON outbox (peer, rowid);
